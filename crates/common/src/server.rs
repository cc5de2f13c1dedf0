//! The build/run split every binary shares: services are built into `ServicePart`s, and one
//! HTTP server (any number of parts on one port) plus their background tasks run them.

use std::net::{SocketAddr, TcpListener};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Instant;

use anyhow::Context as _;
use std::sync::Arc;
use std::time::Duration;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, ResponseError, web};
use futures::future::{BoxFuture, LocalBoxFuture};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing_actix_web::TracingLogger;

use crate::client_address::{ClientAddressSpans, TrustedProxies};
use crate::health::{self, Dependency, ListenerStatus, Readiness};
use crate::observe::{self, Collector, ServiceMap};
use crate::{edge, error};

pub type Routes = Arc<dyn Fn(&mut web::ServiceConfig) + Send + Sync>;
/// Answers requests no route matched, outside `/api` (a web front end's HTML 404 page).
pub type Page = Arc<dyn Fn(HttpRequest) -> LocalBoxFuture<'static, HttpResponse> + Send + Sync>;

/// What answers the paths no route matched, except those under `except_under` (which keep the
/// JSON 404).
#[derive(Clone)]
pub struct Fallback {
    pub except_under: &'static str,
    pub page: Page,
}

impl Fallback {
    fn answers(&self, path: &str) -> bool {
        let under = path
            .strip_prefix(self.except_under)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'));
        !under
    }
}
/// A background loop (relay, listener, scheduler); it must return soon after `cancel` fires.
pub type Task = Box<dyn FnOnce(CancellationToken) -> BoxFuture<'static, ()> + Send>;

/// One built service: its routes, what it needs to be ready, and its background loops.
pub struct ServicePart {
    pub name: &'static str,
    pub routes: Routes,
    pub dependencies: Vec<Dependency>,
    pub listeners: Vec<ListenerStatus>,
    pub tasks: Vec<Task>,
    pub fallback: Option<Fallback>,
    /// The paths it answers (the `service` label of HTTP metrics in a shared process).
    pub prefixes: Vec<&'static str>,
    pub collectors: Vec<Collector>,
}

impl ServicePart {
    pub fn new(
        name: &'static str,
        routes: impl Fn(&mut web::ServiceConfig) + Send + Sync + 'static,
    ) -> Self {
        Self {
            name,
            routes: Arc::new(routes),
            dependencies: Vec::new(),
            listeners: Vec::new(),
            tasks: Vec::new(),
            fallback: None,
            prefixes: Vec::new(),
            collectors: Vec::new(),
        }
    }

    /// Declares that this part answers `prefix` and the paths below it.
    pub fn serves(mut self, prefix: &'static str) -> Self {
        self.prefixes.push(prefix);
        self
    }

    /// Runs `collect` before every `/metrics` scrape, to set gauges read from elsewhere.
    pub fn collect<F, Fut>(mut self, collect: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.collectors.push(Arc::new(move || Box::pin(collect())));
        self
    }

    pub fn depends_on(mut self, dependency: Dependency) -> Self {
        self.dependencies.push(dependency);
        self
    }

    /// The service's database: readiness depends on it, and while it is unreachable the
    /// service's routes answer 503 at once (`crate::db::DatabaseGate`).
    pub fn database(self, pool: &sqlx::PgPool) -> Self {
        let gate = crate::db::DatabaseGate::new(self.name, pool.clone());
        let watching = gate.clone();
        self.depends_on(Dependency::Postgres(gate))
            .task(move |cancel| watching.watch(cancel))
    }

    /// The wiring of an event-driven service: its database, NATS (reported, not required), the
    /// outbox relay publishing what its transactions commit, and its listeners, each keeping what
    /// it gives up on in the service's dead letters.
    pub fn with_events(
        self,
        pool: &sqlx::PgPool,
        bus: &crate::bus::Bus,
        listeners: impl IntoIterator<Item = crate::bus::Listener>,
    ) -> Self {
        let service = self.name;
        let relay = crate::bus::OutboxRelay::new(service, pool.clone(), bus.clone());
        let outbox = pool.clone();
        let mut part = self
            .database(pool)
            .depends_on(Dependency::Nats {
                service,
                bus: Box::new(bus.clone()),
            })
            .task(move |cancel| relay.run(cancel))
            .collect(move || {
                let pool = outbox.clone();
                async move {
                    match crate::bus::outbox::pending(&pool).await {
                        Ok(rows) => crate::metrics::outbox_pending(service, rows),
                        Err(e) => tracing::debug!(error = %e, "outbox: counting pending events"),
                    }
                    match crate::bus::DeadLetters::new(pool).pending().await {
                        Ok(rows) => crate::metrics::dead_letters(service, rows),
                        Err(e) => tracing::debug!(error = %e, "counting dead letters"),
                    }
                }
            });
        for listener in listeners {
            part.listeners.push(listener.status());
            let (bus, dead_letters) = (bus.clone(), crate::bus::DeadLetters::new(pool.clone()));
            part = part.task(move |cancel| listener.run(bus, dead_letters, cancel));
        }
        part
    }

    /// Refuses the sessions signed out anywhere: follows session.revoked on `bus`, as far back
    /// as a token lives, into the revocations `keys` check.
    pub fn follow_sign_outs(self, bus: &crate::bus::Bus, keys: &crate::session::JwtKeys) -> Self {
        let revocations = keys.revocations().clone();
        let bus = bus.clone();
        let lookback = Duration::from_secs(keys.ttl_seconds().unsigned_abs());
        self.task(move |cancel| revocations.follow(bus, lookback, cancel))
    }

    /// Answers unmatched paths with `page` instead of the JSON 404, except those under
    /// `except_under` (a storefront's HTML 404 is not for API clients).
    pub fn fallback<F, Fut>(mut self, except_under: &'static str, page: F) -> Self
    where
        F: Fn(HttpRequest) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = HttpResponse> + 'static,
    {
        let page = Arc::new(page);
        self.fallback = Some(Fallback {
            except_under,
            page: Arc::new(move |req| {
                let page = page.clone();
                Box::pin(async move { page(req).await })
            }),
        });
        self
    }

    pub fn task<F, Fut>(mut self, task: F) -> Self
    where
        F: FnOnce(CancellationToken) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.tasks
            .push(Box::new(move |cancel| Box::pin(task(cancel))));
        self
    }
}

/// How long in-flight requests and event handlers get to finish on shutdown.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(25);
/// On SIGTERM, connections and requests keep being accepted and served until none has arrived
/// for this long (load balancers take a moment to notice that readiness failed, and a client may
/// still send on a connection it opened before), for at most [`DRAIN_LIMIT`].
pub const DRAIN_QUIET: Duration = Duration::from_secs(1);
pub const DRAIN_LIMIT: Duration = Duration::from_secs(5);

/// A started server and its tasks.
pub struct Running {
    address: SocketAddr,
    metrics_address: SocketAddr,
    cancel: CancellationToken,
    http: actix_web::dev::ServerHandle,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
    metrics: actix_web::dev::ServerHandle,
    tasks: TaskTracker,
    draining: Arc<AtomicBool>,
    activity: Arc<Activity>,
}

impl Running {
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// Where `/metrics` is served (`METRICS_PORT`).
    pub fn metrics_url(&self) -> String {
        format!("http://{}/metrics", self.metrics_address)
    }

    /// Waits for SIGTERM or Ctrl-C, then terminates gracefully.
    pub async fn run_until_signal(self) -> anyhow::Result<()> {
        shutdown_signal().await;
        tracing::info!("shutdown requested; draining");
        self.terminate().await
    }

    /// What SIGTERM does: readiness fails first, and answers tell clients to close their
    /// connections; connections and requests go on being accepted and served until none arrives
    /// for [`DRAIN_QUIET`] (at most [`DRAIN_LIMIT`]), so a request a client sent in the meantime,
    /// on a connection old or new, is served rather than reset; then [`Running::shutdown`].
    pub async fn terminate(self) -> anyhow::Result<()> {
        self.draining.store(true, Ordering::Relaxed);
        let signalled = Instant::now();
        loop {
            let quiet_for = self.activity.elapsed().min(signalled.elapsed());
            if quiet_for >= DRAIN_QUIET || signalled.elapsed() >= DRAIN_LIMIT {
                break;
            }
            tokio::time::sleep(DRAIN_QUIET - quiet_for).await;
        }
        self.shutdown().await
    }

    /// Stops accepting requests, lets in-flight ones finish, then stops the background tasks.
    pub async fn shutdown(self) -> anyhow::Result<()> {
        self.draining.store(true, Ordering::Relaxed);
        self.http.stop(true).await;
        self.metrics.stop(true).await;
        self.cancel.cancel();
        self.tasks.close();
        if tokio::time::timeout(SHUTDOWN_GRACE, self.tasks.wait())
            .await
            .is_err()
        {
            tracing::warn!("background tasks did not stop in time");
        }
        self.server.await??;
        Ok(())
    }

    /// Stops at once, as a crash would (tests of durability): no graceful drain.
    pub async fn abort(self) {
        self.cancel.cancel();
        self.http.stop(false).await;
        self.metrics.stop(false).await;
        self.server.abort();
    }
}

/// When the server last accepted a connection or began a request.
pub struct Activity {
    origin: Instant,
    millis: AtomicU64,
}

impl Activity {
    fn new() -> Self {
        Self {
            origin: Instant::now(),
            millis: AtomicU64::new(0),
        }
    }

    pub fn touch(&self) {
        let millis = self.origin.elapsed().as_millis() as u64;
        self.millis.store(millis, Ordering::Relaxed);
    }

    fn elapsed(&self) -> Duration {
        let at = Duration::from_millis(self.millis.load(Ordering::Relaxed));
        self.origin.elapsed().saturating_sub(at)
    }
}

/// How the HTTP server runs.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// Worker threads (`HTTP_WORKERS`).
    pub workers: usize,
    /// Whose `X-Forwarded-For` names the client (`TRUSTED_PROXIES`).
    pub trusted_proxies: TrustedProxies,
    /// How long a request's body may take to arrive (`REQUEST_BODY_TIMEOUT_SECONDS`).
    pub body_timeout: Duration,
}

impl ServerOptions {
    /// As the process's settings say.
    pub fn from_host(host: &crate::config::HostSettings) -> Self {
        Self {
            workers: host.http_workers,
            trusted_proxies: host.trusted_proxies.clone(),
            body_timeout: host.body_timeout,
        }
    }

    /// `workers` threads, trusting loopback proxies only, the default body deadline.
    pub fn workers(workers: usize) -> Self {
        Self {
            workers,
            trusted_proxies: TrustedProxies::default(),
            body_timeout: crate::edge::DEFAULT_BODY_TIMEOUT,
        }
    }
}

/// Starts `parts` on `listener`: every part's routes, `/healthz`, `/readyz`, a JSON 404 for
/// anything else; `/metrics` on `metrics_listener` (an internal port); and every part's
/// background tasks.
pub fn start(
    listener: TcpListener,
    metrics_listener: TcpListener,
    parts: Vec<ServicePart>,
    options: ServerOptions,
) -> anyhow::Result<Running> {
    let workers = options.workers;
    let body_timeout = options.body_timeout;
    let trusted_proxies = web::Data::new(options.trusted_proxies);
    crate::metrics::install();
    let address = listener.local_addr()?;
    let metrics_address = metrics_listener.local_addr()?;
    let cancel = CancellationToken::new();
    let tasks = TaskTracker::new();
    let mut routes = Vec::new();
    let mut dependencies = Vec::new();
    let mut listeners = Vec::new();
    let mut collectors = Vec::new();
    let fallback = parts.iter().find_map(|p| p.fallback.clone());
    let services = Arc::new(ServiceMap::new(
        parts.iter().map(|p| (p.name, p.prefixes.clone())),
    ));
    for part in parts {
        routes.push(part.routes);
        dependencies.extend(part.dependencies);
        listeners.extend(part.listeners);
        collectors.extend(part.collectors);
        for task in part.tasks {
            tasks.spawn(task(cancel.child_token()));
        }
    }
    let scrape = observe::Scrape::new(&dependencies, &listeners, collectors);
    let gates = Arc::new(edge::Gates::new(&dependencies));
    let draining = Arc::new(AtomicBool::new(false));
    let readiness = Readiness {
        dependencies,
        listeners,
        draining: draining.clone(),
    };
    let activity = Arc::new(Activity::new());
    let (connected, requested) = (activity.clone(), activity.clone());
    let draining_now = draining.clone();
    let server = HttpServer::new(move || {
        let services = services.clone();
        let (gated, gates) = (services.clone(), gates.clone());
        let (requested, draining_now) = (requested.clone(), draining_now.clone());
        let mut app = App::new()
            .wrap(actix_web::middleware::from_fn(move |req, next| {
                edge::refuse_while_database_down(gates.clone(), gated.clone(), req, next)
            }))
            .wrap(actix_web::middleware::from_fn(edge::same_origin_writes))
            .wrap(actix_web::middleware::from_fn(move |req, next| {
                edge::body_deadline(body_timeout, req, next)
            }))
            .wrap(actix_web::middleware::from_fn(move |req, next| {
                observe::observe(services.clone(), req, next)
            }))
            .wrap(TracingLogger::<ClientAddressSpans>::new())
            .wrap(actix_web::middleware::from_fn(move |req, next| {
                edge::while_draining(requested.clone(), draining_now.clone(), req, next)
            }))
            .app_data(trusted_proxies.clone())
            .app_data(error::json_config())
            .app_data(error::path_config())
            .configure(|cfg| health::routes(cfg, readiness.clone()));
        for configure in &routes {
            app = app.configure(|cfg| configure(cfg));
        }
        let fallback = fallback.clone();
        app.default_service(web::to(move |req: HttpRequest| {
            let fallback = fallback.clone();
            async move {
                match fallback {
                    Some(fallback) if fallback.answers(req.path()) => (fallback.page)(req).await,
                    _ => error::ApiError::NotFound.error_response(),
                }
            }
        }))
    })
    .on_connect(move |_, _| connected.touch())
    .listen(listener)?
    .workers(workers.max(1))
    .disable_signals()
    .shutdown_timeout(SHUTDOWN_GRACE.as_secs())
    .run();
    let http = server.handle();
    let metrics = HttpServer::new(move || {
        App::new()
            .configure(|cfg| observe::routes(cfg, scrape.clone()))
            .default_service(web::to(error::not_found))
    })
    .listen(metrics_listener)?
    .workers(1)
    .disable_signals()
    .shutdown_timeout(1)
    .run();
    let metrics_handle = metrics.handle();
    tokio::spawn(async move {
        if let Err(e) = metrics.await {
            tracing::warn!(error = %e, "the metrics endpoint stopped");
        }
    });
    Ok(Running {
        address,
        metrics_address,
        cancel,
        http,
        server: tokio::spawn(server),
        metrics: metrics_handle,
        tasks,
        draining,
        activity,
    })
}

/// The binary's name (`orders`, `ticketing`, ...): the `service.name` of its exported spans.
fn program_name() -> String {
    std::env::args()
        .next()
        .as_deref()
        .map(std::path::Path::new)
        .and_then(|p| p.file_stem())
        .map_or_else(
            || "ticketing".to_owned(),
            |s| s.to_string_lossy().into_owned(),
        )
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    ctrl_c.await.ok();
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    ctrl_c.await.ok();
}

/// The whole `main` of a one-service binary: read settings (a missing variable is one line on
/// stderr and exit code 2), set up logs, build, serve on `PORT` until SIGTERM.
pub fn run_binary<S, B, Fut>(
    read: impl FnOnce(&dyn crate::config::Source) -> Result<S, crate::config::ConfigError>,
    build: B,
) -> std::process::ExitCode
where
    B: FnOnce(S) -> Fut,
    Fut: Future<Output = anyhow::Result<ServicePart>>,
{
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some(crate::admin::DEAD_LETTERS) {
        let database = match crate::config::required(&crate::config::Env, "DATABASE_URL") {
            Ok(url) => url,
            Err(e) => {
                eprintln!("configuration error: {e}");
                return std::process::ExitCode::from(2);
            }
        };
        return crate::admin::main(
            &args[1..],
            &crate::config::Env,
            vec![(program_name(), database)],
        );
    }
    run_process(
        &crate::config::Env,
        crate::telemetry::LogFormat::Json,
        read,
        |settings| async move { Ok(vec![build(settings).await?]) },
    )
}

/// The whole `main` of a process running any set of services on one port.
pub fn run_process<'s, S, B, Fut>(
    src: &'s dyn crate::config::Source,
    default_log: crate::telemetry::LogFormat,
    read: impl FnOnce(&dyn crate::config::Source) -> Result<S, crate::config::ConfigError>,
    build: B,
) -> std::process::ExitCode
where
    B: FnOnce(S) -> Fut,
    Fut: Future<Output = anyhow::Result<Vec<ServicePart>>> + 's,
{
    use crate::config::HostSettings;
    use std::process::ExitCode;
    let settings =
        HostSettings::from_source(src, default_log).and_then(|host| Ok((host, read(src)?)));
    let (host, settings) = match settings {
        Ok(s) => s,
        Err(e) => {
            eprintln!("configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    let export = crate::telemetry::TraceExport {
        otlp_endpoint: host.otlp_endpoint.clone(),
        service_name: program_name(),
    };
    crate::telemetry::init_with(
        host.log_format,
        &export,
        crate::telemetry::DEFAULT_FILTER,
        std::io::stdout,
    );
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        let parts = build(settings).await?;
        let names: Vec<&str> = parts.iter().map(|p| p.name).collect();
        let listener = TcpListener::bind((host.bind_address, host.port))
            .with_context(|| format!("listening on {}:{}", host.bind_address, host.port))?;
        let metrics =
            TcpListener::bind((host.bind_address, host.metrics_port)).with_context(|| {
                format!(
                    "listening on {}:{} (METRICS_PORT)",
                    host.bind_address, host.metrics_port
                )
            })?;
        let running = start(listener, metrics, parts, ServerOptions::from_host(&host))?;
        for name in names {
            tracing::info!(service = name, "service started");
        }
        tracing::info!(
            "listening on http://{}/ (metrics on {})",
            running.address(),
            running.metrics_url()
        );
        running.run_until_signal().await
    });
    crate::telemetry::flush();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "fatal");
            eprintln!("fatal: {e:#}");
            ExitCode::FAILURE
        }
    }
}
