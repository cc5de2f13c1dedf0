//! The deployment files agree with the code (issue #5): docker-compose.yml, the gateway config,
//! the manifests rendered by `kubectl kustomize` from deploy/k8s (the simple deployment) and
//! deploy/k8s/production (the production overlay), skaffold.yaml and deploy/Dockerfile.
//!
//! Which variables a service reads is not listed here: each service's `Settings::from_source` (and
//! `HostSettings::from_source`) runs against a `common::config::Recorder` holding the variables a
//! deployment sets, and the recorder says what was asked. So a new setting without a default fails
//! here until the deployments set it, and a variable a deployment sets that no code reads fails too.
//! Every service comes from the one list, `ticketing::services::SERVICES`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use common::config::{HostSettings, Recorder};
use common::telemetry::LogFormat;
use serde_norway::Value;
use ticketing::{SERVICES, Service};

/// Set for every service although no `Settings` reads it: tracing's `EnvFilter` does.
const READ_OUTSIDE_SETTINGS: &[&str] = &["RUST_LOG"];

/// Secrets and the Kubernetes Secret (same key) each must come from; never a literal value.
const SECRETS: &[(&str, &str)] = &[
    ("JWT_KEY", "jwt-secret"),
    ("STRIPE_KEY", "stripe-secret"),
    ("POSTGRES_PASSWORD", "postgres-secret"),
];

/// The Dockerfile every service image is built from, each from its own target.
const DOCKERFILE: &str = "deploy/Dockerfile";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn read(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("reading {path}: {e}"))
}

fn yaml(path: &str) -> Value {
    let mut value: Value =
        serde_norway::from_str(&read(path)).unwrap_or_else(|e| panic!("parsing {path}: {e}"));
    value
        .apply_merge()
        .unwrap_or_else(|e| panic!("merging `<<:` keys of {path}: {e}"));
    value
}

fn str_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn strings(v: &Value) -> Vec<String> {
    v.as_sequence()
        .map(|items| items.iter().filter_map(str_of).collect())
        .unwrap_or_default()
}

fn seq(v: &Value) -> &[Value] {
    v.as_sequence().map(Vec::as_slice).unwrap_or(&[])
}

/// What one deployment of one service sets: its environment and what the platform reads.
struct Deployed {
    place: String,
    env: BTreeMap<String, String>,
    /// Variables only referenced by other variables' values (`$(NAME)` in Kubernetes).
    helpers: BTreeSet<String>,
}

impl Deployed {
    fn port(&self) -> u16 {
        self.port_setting("PORT", common::config::DEFAULT_PORT)
    }

    /// Where `/metrics` is served: an internal port of its own, never the public one.
    fn metrics_port(&self) -> u16 {
        let metrics = self.port_setting("METRICS_PORT", common::config::DEFAULT_METRICS_PORT);
        assert_ne!(
            metrics,
            self.port(),
            "{}: METRICS_PORT must differ from PORT",
            self.place
        );
        metrics
    }

    fn port_setting(&self, name: &str, default: u16) -> u16 {
        self.env.get(name).map_or(default, |p| {
            p.parse()
                .unwrap_or_else(|e| panic!("{}: {name} {p:?}: {e}", self.place))
        })
    }

    /// Runs the service's settings and the host's over this environment: every variable read
    /// without a default must be set. Returns every name asked for.
    fn reads(&self, service: &Service) -> BTreeSet<String> {
        let recorder = Recorder::new(self.env.clone());
        if let Err(e) = (service.settings)(&recorder) {
            panic!("{}: {} cannot start: {e}", self.place, service.name);
        }
        if let Err(e) = HostSettings::from_source(&recorder, LogFormat::Json) {
            panic!("{}: {} cannot start: {e}", self.place, service.name);
        }
        recorder.asked()
    }

    fn url_host(&self, name: &str) -> Option<String> {
        let url = self.env.get(name)?;
        let rest = url.split_once("://").map_or(url.as_str(), |(_, r)| r);
        let authority = rest.split('/').next().unwrap_or_default();
        let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
        Some(host_port.split(':').next().unwrap_or_default().to_owned())
    }

    fn database_name(&self) -> Option<String> {
        let url = self.env.get("DATABASE_URL")?;
        let rest = url.split_once("://").map_or(url.as_str(), |(_, r)| r);
        let path = rest.split_once('/')?.1;
        Some(path.split('?').next().unwrap_or_default().to_owned())
    }
}

// ---------------------------------------------------------------------------------------------
// docker-compose.yml

/// `.env.example`, which stands in for the user's `.env`.
/// `.env.example` as shipped: the secrets are left empty, for the user to set.
fn env_example() -> BTreeMap<String, String> {
    read(".env.example")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect()
}

/// What `.env.example` asks the user to set before `docker compose up`.
const SET_BY_THE_USER: &[(&str, &str)] = &[
    (
        "JWT_KEY",
        "Zq3v9yQp0fJ2rK7mW1xT8bN4cH6dL5sA0eG2uV7iO9pR3tY6",
    ),
    ("POSTGRES_PASSWORD", "a8f3c2e9d1b7a6f4c3e2d9b8a7f6c5e4"),
];

/// `.env.example` once the user set what it asks for.
fn dotenv() -> BTreeMap<String, String> {
    let mut vars = env_example();
    for (name, value) in SET_BY_THE_USER {
        let slot = vars.entry((*name).to_owned()).or_default();
        assert!(
            slot.is_empty(),
            ".env.example ships a value for the secret {name}"
        );
        *slot = (*value).to_owned();
    }
    vars
}

/// Compose's interpolation: `$$`, `$NAME`, `${NAME}`, `${NAME:-default}`, `${NAME-default}`,
/// `${NAME:?error}`, `${NAME?error}`.
fn interpolate(text: &str, vars: &BTreeMap<String, String>) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        rest = &rest[at + 1..];
        if let Some(after) = rest.strip_prefix('$') {
            out.push('$');
            rest = after;
        } else if let Some(after) = rest.strip_prefix('{') {
            let end = after
                .find('}')
                .ok_or_else(|| format!("unclosed ${{ in {text:?}"))?;
            let expr = &after[..end];
            rest = &after[end + 1..];
            let name_end = expr
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(expr.len());
            let (name, op) = expr.split_at(name_end);
            let value = vars.get(name).cloned();
            let set = value.as_deref().is_some_and(|v| !v.is_empty());
            let resolved = match op {
                "" => value.unwrap_or_default(),
                _ if op.starts_with(":-") => {
                    if set {
                        value.unwrap_or_default()
                    } else {
                        interpolate(&op[2..], vars)?
                    }
                }
                _ if op.starts_with('-') => match value {
                    Some(v) => v,
                    None => interpolate(&op[1..], vars)?,
                },
                _ if op.starts_with(":?") => {
                    if !set {
                        return Err(format!("{name} is required: {}", &op[2..]));
                    }
                    value.unwrap_or_default()
                }
                _ if op.starts_with('?') => {
                    value.ok_or_else(|| format!("{name} is required: {}", &op[1..]))?
                }
                _ => return Err(format!("unsupported interpolation ${{{expr}}}")),
            };
            out.push_str(&resolved);
        } else {
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            out.push_str(vars.get(&rest[..end]).map_or("", String::as_str));
            rest = &rest[end..];
        }
    }
    out.push_str(rest);
    Ok(out)
}

fn compose() -> &'static Value {
    static COMPOSE: OnceLock<Value> = OnceLock::new();
    COMPOSE.get_or_init(|| yaml("docker-compose.yml"))
}

fn compose_service(name: &str) -> &'static Value {
    let service = &compose()["services"][name];
    assert!(
        service.is_mapping(),
        "docker-compose.yml has no service {name}"
    );
    service
}

fn compose_deployed(name: &str) -> Deployed {
    let place = format!("docker-compose.yml service {name}");
    let vars = dotenv();
    let environment = &compose_service(name)["environment"];
    let pairs: Vec<(String, String)> = match environment {
        Value::Mapping(map) => map
            .iter()
            .map(|(k, v)| (str_of(k).unwrap_or_default(), str_of(v).unwrap_or_default()))
            .collect(),
        Value::Sequence(_) => strings(environment)
            .iter()
            .map(|kv| match kv.split_once('=') {
                Some((k, v)) => (k.to_owned(), v.to_owned()),
                None => (kv.clone(), vars.get(kv).cloned().unwrap_or_default()),
            })
            .collect(),
        _ => Vec::new(),
    };
    let env = pairs
        .into_iter()
        .map(|(k, v)| {
            let v = interpolate(&v, &vars)
                .unwrap_or_else(|e| panic!("{place}: {k} with .env.example: {e}"));
            (k, v)
        })
        .collect();
    Deployed {
        place,
        env,
        helpers: BTreeSet::new(),
    }
}

fn seconds(duration: &str) -> u64 {
    let digits: String = duration.chars().take_while(char::is_ascii_digit).collect();
    let n: u64 = digits.parse().unwrap_or(0);
    match &duration[digits.len()..] {
        "s" | "" => n,
        "m" => n * 60,
        other => panic!("unsupported duration unit {other:?} in {duration:?}"),
    }
}

/// The ports deploy/prometheus/prometheus.yml scrapes a compose service's containers on.
fn prometheus_scrape_ports(service: &str) -> BTreeSet<u64> {
    let prometheus = yaml("deploy/prometheus/prometheus.yml");
    let mut ports = BTreeSet::new();
    for job in seq(&prometheus["scrape_configs"]) {
        for dns in seq(&job["dns_sd_configs"]) {
            if strings(&dns["names"]).iter().any(|n| n == service) {
                ports.extend(dns["port"].as_u64());
            }
        }
        for config in seq(&job["static_configs"]) {
            for target in strings(&config["targets"]) {
                if let Some((host, port)) = target.split_once(':')
                    && host == service
                {
                    ports.extend(port.parse::<u64>().ok());
                }
            }
        }
    }
    ports
}

#[test]
fn compose_refuses_to_start_until_the_secrets_are_set() {
    let shipped = env_example();
    for (name, _) in SET_BY_THE_USER {
        let refused: Vec<String> = compose()["services"]
            .as_mapping()
            .expect("services")
            .iter()
            .filter_map(|(service, spec)| {
                let text = serde_norway::to_string(&spec["environment"]).ok()?;
                (text.contains(&format!("${{{name}")) && interpolate(&text, &shipped).is_err())
                    .then(|| str_of(service).unwrap_or_default())
            })
            .collect();
        assert!(
            !refused.is_empty(),
            "with .env.example as shipped, compose must refuse to start for want of {name}"
        );
    }
}

#[test]
fn compose_runs_every_service_with_what_its_code_reads() {
    let our_services: BTreeSet<String> = compose()["services"]
        .as_mapping()
        .expect("docker-compose.yml has services")
        .iter()
        .filter(|(_, s)| s["build"]["dockerfile"].as_str() == Some(DOCKERFILE))
        .filter_map(|(name, _)| str_of(name))
        .collect();
    let expected: BTreeSet<String> = SERVICES.iter().map(|s| s.name.to_owned()).collect();
    assert_eq!(
        our_services, expected,
        "the compose services built from {DOCKERFILE} are the services of the code"
    );
    let init_sql = read("deploy/postgres/init-databases.sql");
    let mut databases = BTreeSet::new();
    for service in SERVICES {
        let name = service.name;
        let spec = compose_service(name);
        let deployed = compose_deployed(name);
        // Its own image: its own target (whose CMD is its binary), under a name of its own.
        assert_eq!(
            spec["build"]["target"].as_str(),
            Some(name),
            "{name}: built from its own target of {DOCKERFILE}"
        );
        assert!(
            spec["command"].is_null() || strings(&spec["command"]) == [name],
            "{name}: runs its own binary"
        );
        assert!(
            spec["image"]
                .as_str()
                .is_some_and(|image| image.starts_with(&format!("ticketing-{name}:"))),
            "{name}: its image is named ticketing-{name}, like its skaffold artifact"
        );
        let reads = deployed.reads(service);
        let port = deployed.port();

        // Prometheus (the observability profile) scrapes the port /metrics is served on.
        let metrics_port = u64::from(deployed.metrics_port());
        assert_eq!(
            prometheus_scrape_ports(name),
            BTreeSet::from([metrics_port]),
            "deploy/prometheus/prometheus.yml scrapes {name} on its METRICS_PORT {metrics_port}"
        );

        let probe = strings(&spec["healthcheck"]["test"]).join(" ");
        assert!(
            probe.contains(&format!("127.0.0.1:{port}/readyz")),
            "{name}: the healthcheck asks /readyz on PORT {port}, not {probe:?}"
        );
        let grace = spec["stop_grace_period"].as_str().map_or(10, seconds);
        assert!(
            grace > common::server::SHUTDOWN_GRACE.as_secs(),
            "{name}: stop_grace_period {grace}s leaves the {}s drain time to finish",
            common::server::SHUTDOWN_GRACE.as_secs()
        );

        // Nothing starts against a database or NATS that is not ready.
        let depends = &spec["depends_on"];
        for (url, needed) in [
            ("DATABASE_URL", reads.contains("DATABASE_URL")),
            ("NATS_URL", reads.contains("NATS_URL")),
        ] {
            if !needed {
                continue;
            }
            let host = deployed
                .url_host(url)
                .unwrap_or_else(|| panic!("{name}: {url} must be set in compose"));
            assert!(
                compose_service(&host)["healthcheck"].is_mapping(),
                "{name}: {url} names {host}, which needs a healthcheck"
            );
            assert_eq!(
                depends[host.as_str()]["condition"].as_str(),
                Some("service_healthy"),
                "{name}: depends_on {host} (its {url}) with condition service_healthy"
            );
        }
        for (dependency, condition) in depends.as_mapping().into_iter().flatten() {
            assert_eq!(
                condition["condition"].as_str(),
                Some("service_healthy"),
                "{name}: depends_on {dependency:?} waits for it to be healthy"
            );
        }

        // The storefront calls the API through a service of this file (the gateway).
        if reads.contains("API_BASE_URL") {
            let host = deployed
                .url_host("API_BASE_URL")
                .unwrap_or_else(|| panic!("{name}: API_BASE_URL must be set in compose"));
            compose_service(&host);
        }

        if !reads.contains("DATABASE_URL") {
            continue;
        }
        let database = deployed
            .database_name()
            .unwrap_or_else(|| panic!("{name}: DATABASE_URL names a database"));
        assert!(
            init_sql.contains(&format!("CREATE DATABASE {database};")),
            "{name}: deploy/postgres/init-databases.sql creates its database {database}"
        );
        assert!(
            databases.insert(database.clone()),
            "{name}: its database {database} is its own"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// deploy/k8s and deploy/k8s/production

/// The simple deployment (`kubectl apply -k deploy/k8s`, skaffold's default).
const BASE: &str = "deploy/k8s";
/// The production overlay: clustered NATS, CloudNativePG databases, autoscaling, policies.
const PRODUCTION: &str = "deploy/k8s/production";
/// Every Kubernetes deployment we ship; each must run every service with what its code reads.
const RENDERINGS: &[&str] = &[BASE, PRODUCTION];

/// The manifests as `kubectl kustomize <dir>` renders them, dir one of [`RENDERINGS`].
fn manifests(dir: &str) -> &'static [Value] {
    static BASE_RENDERED: OnceLock<Vec<Value>> = OnceLock::new();
    static PRODUCTION_RENDERED: OnceLock<Vec<Value>> = OnceLock::new();
    let rendered = match dir {
        BASE => &BASE_RENDERED,
        PRODUCTION => &PRODUCTION_RENDERED,
        other => panic!("{other} is not one of {RENDERINGS:?}"),
    };
    rendered.get_or_init(|| {
        let output = std::process::Command::new("kubectl")
            .arg("kustomize")
            .arg(root().join(dir))
            .output()
            .unwrap_or_else(|e| {
                panic!(
                    "this test renders {dir} with `kubectl kustomize`, and kubectl could \
                     not be run ({e}); install kubectl (v1.27 or later) and put it on PATH"
                )
            });
        assert!(
            output.status.success(),
            "kubectl kustomize {dir} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let text = String::from_utf8_lossy(&output.stdout);
        let mut docs = vec![String::new()];
        for line in text.lines() {
            if line == "---" {
                docs.push(String::new());
            } else if let Some(doc) = docs.last_mut() {
                doc.push_str(line);
                doc.push('\n');
            }
        }
        docs.iter()
            .map(|doc| {
                serde_norway::from_str::<Value>(doc)
                    .unwrap_or_else(|e| panic!("parsing the rendered manifests: {e}"))
            })
            .filter(|doc| !doc.is_null())
            .collect()
    })
}

fn resources(dir: &str, kind: &str) -> impl Iterator<Item = &'static Value> {
    let kind = kind.to_owned();
    manifests(dir)
        .iter()
        .filter(move |m| m["kind"].as_str() == Some(kind.as_str()))
}

fn resource(dir: &str, kind: &str, name: &str) -> &'static Value {
    find_resource(dir, kind, name).unwrap_or_else(|| panic!("{dir} renders no {kind} {name}"))
}

fn find_resource(dir: &str, kind: &str, name: &str) -> Option<&'static Value> {
    resources(dir, kind).find(|m| m["metadata"]["name"].as_str() == Some(name))
}

fn only_container(workload: &'static Value, place: &str) -> &'static Value {
    let containers = seq(&workload["spec"]["template"]["spec"]["containers"]);
    assert_eq!(containers.len(), 1, "{place}: one container");
    &containers[0]
}

/// A container's environment; secrets read as a placeholder, `$(NAME)` expanded as the kubelet does.
fn k8s_env(container: &Value, place: &str) -> Deployed {
    let mut env = BTreeMap::new();
    let mut referenced = BTreeSet::new();
    for var in seq(&container["env"]) {
        let name = str_of(&var["name"]).unwrap_or_default();
        let value = if let Some(value) = str_of(&var["value"]) {
            let mut expanded = String::new();
            let mut rest = value.as_str();
            while let Some(at) = rest.find("$(") {
                expanded.push_str(&rest[..at]);
                let end = rest[at..]
                    .find(')')
                    .map(|e| at + e)
                    .unwrap_or_else(|| panic!("{place}: unclosed $( in {name}"));
                let inner = &rest[at + 2..end];
                let known: &String = env
                    .get(inner)
                    .unwrap_or_else(|| panic!("{place}: {name} uses $({inner}) before it is set"));
                expanded.push_str(known);
                referenced.insert(inner.to_owned());
                rest = &rest[end + 1..];
            }
            expanded.push_str(rest);
            expanded
        } else if let Some(secret) = var["valueFrom"]["secretKeyRef"].as_mapping() {
            let secret = Value::Mapping(secret.clone());
            // As long as a real secret must be.
            format!(
                "secret-{}-{}-{}",
                str_of(&secret["name"]).unwrap_or_default(),
                str_of(&secret["key"]).unwrap_or_default(),
                "x".repeat(common::config::MIN_JWT_KEY_BYTES)
            )
        } else {
            panic!("{place}: {name} has neither a value nor a secretKeyRef");
        };
        assert!(
            env.insert(name.clone(), value).is_none(),
            "{place}: {name} is set twice"
        );
    }
    Deployed {
        place: place.to_owned(),
        env,
        helpers: referenced,
    }
}

/// Every secret comes from its Secret (`valueFrom.secretKeyRef`), never from a literal.
fn assert_secrets_from_secret_refs(container: &Value, place: &str) {
    for var in seq(&container["env"]) {
        let name = str_of(&var["name"]).unwrap_or_default();
        let Some((_, secret)) = SECRETS.iter().find(|(n, _)| *n == name) else {
            continue;
        };
        let reference = &var["valueFrom"]["secretKeyRef"];
        assert_eq!(
            (reference["name"].as_str(), reference["key"].as_str()),
            (Some(*secret), Some(name.as_str())),
            "{place}: {name} comes from secret {secret}, key {name}"
        );
    }
}

/// A probe's or Service's port, by number or by the container's port name.
fn resolve_port(port: &Value, container: &Value, place: &str) -> u64 {
    if let Some(number) = port.as_u64() {
        return number;
    }
    let name = port.as_str().unwrap_or_default();
    seq(&container["ports"])
        .iter()
        .find(|p| p["name"].as_str() == Some(name))
        .and_then(|p| p["containerPort"].as_u64())
        .unwrap_or_else(|| panic!("{place}: no container port named {name:?}"))
}

fn pre_stop_sleep(container: &Value) -> u64 {
    let pre_stop = &container["lifecycle"]["preStop"];
    if let Some(seconds) = pre_stop["sleep"]["seconds"].as_u64() {
        return seconds;
    }
    match strings(&pre_stop["exec"]["command"]).as_slice() {
        [sleep, n] if sleep == "sleep" => n.parse().unwrap_or(0),
        _ => 0,
    }
}

/// The database a service's DATABASE_URL names: a Postgres StatefulSet behind a Service of the same
/// name (the base), or a CloudNativePG Cluster, whose app Secret's `uri` is the URL (production).
fn own_database(dir: &str, container: &Value, deployed: &Deployed, place: &str) -> String {
    let from_secret = seq(&container["env"])
        .iter()
        .find(|var| var["name"].as_str() == Some("DATABASE_URL"))
        .map(|var| &var["valueFrom"]["secretKeyRef"])
        .filter(|reference| !reference.is_null());
    let Some(reference) = from_secret else {
        let host = deployed
            .url_host("DATABASE_URL")
            .unwrap_or_else(|| panic!("{place}: DATABASE_URL is set"));
        resource(dir, "Service", &host);
        resource(dir, "StatefulSet", &host);
        return host;
    };
    let secret = reference["name"].as_str().unwrap_or_default();
    let cluster = secret
        .strip_suffix(CNPG_APP_SECRET_SUFFIX)
        .unwrap_or_else(|| {
            panic!("{place}: DATABASE_URL comes from {secret}, not a Cluster's app Secret")
        });
    assert_eq!(
        reference["key"].as_str(),
        Some(CNPG_URI_KEY),
        "{place}: DATABASE_URL is the `{CNPG_URI_KEY}` of {secret}"
    );
    let initdb = &resource(dir, "Cluster", cluster)["spec"]["bootstrap"]["initdb"];
    assert!(
        initdb["database"].is_string() && initdb["owner"].is_string(),
        "{place}: its Cluster {cluster} names the database and owner its app Secret is for"
    );
    cluster.to_owned()
}

/// How many NATS servers stand behind the Service `name`: the replicas of the StatefulSet whose
/// pods it selects.
fn nats_servers(dir: &str, name: &str, place: &str) -> u64 {
    let selector = &resource(dir, "Service", name)["spec"]["selector"];
    let servers: Vec<u64> = resources(dir, "StatefulSet")
        .filter(|set| {
            let labels = &set["spec"]["template"]["metadata"]["labels"];
            selector
                .as_mapping()
                .is_some_and(|s| s.iter().all(|(key, value)| &labels[key] == value))
        })
        .map(|set| set["spec"]["replicas"].as_u64().unwrap_or(1))
        .collect();
    assert_eq!(
        servers.len(),
        1,
        "{place}: NATS_URL's Service {name} selects one StatefulSet"
    );
    servers[0]
}

#[test]
fn kubernetes_runs_every_service_with_what_its_code_reads() {
    for dir in RENDERINGS {
        kubernetes_runs_every_service(dir);
    }
}

fn kubernetes_runs_every_service(dir: &str) {
    let deployments: BTreeSet<String> = resources(dir, "Deployment")
        .filter_map(|d| str_of(&d["metadata"]["name"]))
        .collect();
    let expected: BTreeSet<String> = SERVICES.iter().map(|s| s.name.to_owned()).collect();
    assert_eq!(
        deployments, expected,
        "{dir} has one Deployment per service"
    );
    let mut databases = BTreeSet::new();
    for service in SERVICES {
        let name = service.name;
        let place = format!("{dir} Deployment {name}");
        let deployment = resource(dir, "Deployment", name);
        let pod = &deployment["spec"]["template"]["spec"];
        let container = only_container(deployment, &place);
        assert_eq!(
            strings(&container["command"]),
            [name],
            "{place}: runs its own binary"
        );
        assert_eq!(
            container["image"].as_str(),
            Some(format!("ticketing-{name}").as_str()),
            "{place}: its image is its skaffold artifact"
        );
        if service.route.is_some() {
            // Fixed, or the floor of its autoscaler.
            let replicas = resources(dir, "HorizontalPodAutoscaler")
                .find(|hpa| hpa["spec"]["scaleTargetRef"]["name"].as_str() == Some(name))
                .map_or(
                    &deployment["spec"]["replicas"],
                    |hpa| &hpa["spec"]["minReplicas"],
                );
            assert!(
                replicas.as_u64() >= Some(2),
                "{place}: an HTTP service runs 2 replicas or more"
            );
        }
        let deployed = k8s_env(container, &place);
        let reads = deployed.reads(service);
        assert_secrets_from_secret_refs(container, &place);
        let port = u64::from(deployed.port());

        // Ports and probes: `http` is PORT, `metrics` is METRICS_PORT and the one scraped.
        let metrics_port = u64::from(deployed.metrics_port());
        let container_ports: BTreeMap<String, u64> = seq(&container["ports"])
            .iter()
            .filter_map(|p| Some((str_of(&p["name"])?, p["containerPort"].as_u64()?)))
            .collect();
        assert_eq!(
            container_ports,
            BTreeMap::from([
                ("http".to_owned(), port),
                ("metrics".to_owned(), metrics_port)
            ]),
            "{place}: container ports http = PORT and metrics = METRICS_PORT"
        );
        let annotations = &deployment["spec"]["template"]["metadata"]["annotations"];
        assert_eq!(
            annotations["prometheus.io/port"].as_str(),
            Some(metrics_port.to_string().as_str()),
            "{place}: prometheus.io/port is its METRICS_PORT {metrics_port}"
        );
        for (probe, path) in [
            ("livenessProbe", "/healthz"),
            ("readinessProbe", "/readyz"),
            ("startupProbe", "/healthz"),
        ] {
            let get = &container[probe]["httpGet"];
            if probe == "startupProbe" && container[probe].is_null() {
                continue;
            }
            assert_eq!(
                get["path"].as_str(),
                Some(path),
                "{place}: {probe} asks {path}"
            );
            assert_eq!(
                resolve_port(&get["port"], container, &place),
                port,
                "{place}: {probe} on PORT"
            );
        }

        // Graceful shutdown: the preStop pause plus the services' drain fit in the grace period.
        let grace = pod["terminationGracePeriodSeconds"].as_u64().unwrap_or(30);
        let needed = pre_stop_sleep(container) + common::server::SHUTDOWN_GRACE.as_secs();
        assert!(
            grace > needed,
            "{place}: terminationGracePeriodSeconds {grace} must exceed preStop + drain = {needed}"
        );

        // Hardening and resources.
        let security = &container["securityContext"];
        assert!(
            pod["securityContext"]["runAsNonRoot"].as_bool() == Some(true)
                || security["runAsNonRoot"].as_bool() == Some(true),
            "{place}: runAsNonRoot"
        );
        assert_eq!(
            security["readOnlyRootFilesystem"].as_bool(),
            Some(true),
            "{place}: readOnlyRootFilesystem"
        );
        assert_eq!(
            security["allowPrivilegeEscalation"].as_bool(),
            Some(false),
            "{place}: allowPrivilegeEscalation false"
        );
        assert!(
            strings(&security["capabilities"]["drop"]).contains(&"ALL".to_owned()),
            "{place}: drops ALL capabilities"
        );
        for (kind, resource) in [
            ("requests", "cpu"),
            ("requests", "memory"),
            ("limits", "cpu"),
            ("limits", "memory"),
        ] {
            assert!(
                !container["resources"][kind][resource].is_null(),
                "{place}: resources.{kind}.{resource} is set"
            );
        }

        // Its Service reaches PORT.
        let svc = resource(dir, "Service", name);
        let labels = &deployment["spec"]["template"]["metadata"]["labels"];
        for (key, value) in svc["spec"]["selector"].as_mapping().into_iter().flatten() {
            assert_eq!(
                &labels[key], value,
                "{dir} Service {name}: its selector matches the {name} pods"
            );
        }
        let service_ports = seq(&svc["spec"]["ports"]);
        assert!(
            !service_ports.is_empty()
                && service_ports
                    .iter()
                    .all(|p| resolve_port(&p["targetPort"], container, &place) == port),
            "{dir} Service {name}: targets PORT {port}"
        );

        // The storefront reaches the API from inside the cluster: through a Service of these
        // manifests, or through the ingress controller's Service, whose requests (Host: that
        // Service's name) only match Ingress rules that name no host.
        if reads.contains("API_BASE_URL") {
            let api = deployed
                .url_host("API_BASE_URL")
                .unwrap_or_else(|| panic!("{place}: API_BASE_URL is set"));
            let ours = find_resource(dir, "Service", &api).is_some();
            assert!(
                ours || api.ends_with(".svc.cluster.local"),
                "{place}: API_BASE_URL names {api}, which is not an in-cluster Service address"
            );
            if !ours {
                for ingress in resources(dir, "Ingress") {
                    assert!(
                        seq(&ingress["spec"]["rules"])
                            .iter()
                            .all(|rule| rule["host"].is_null()),
                        "{place}: API_BASE_URL goes through the ingress controller ({api}), so \
                         the Ingress rules must not name a host (or override API_BASE_URL)"
                    );
                }
            }
        }

        // Its database is its own server (or CloudNativePG Cluster); NATS is a Service of the
        // cluster, whose servers all keep the stream.
        if reads.contains("DATABASE_URL") {
            let database = own_database(dir, container, &deployed, &place);
            assert!(
                databases.insert(database.clone()),
                "{place}: its database {database} is its own"
            );
        }
        if reads.contains("NATS_URL") {
            let nats = deployed
                .url_host("NATS_URL")
                .unwrap_or_else(|| panic!("{place}: NATS_URL is set"));
            let servers = nats_servers(dir, &nats, &place);
            let stream_replicas: u64 = deployed
                .env
                .get("NATS_STREAM_REPLICAS")
                .map_or(Ok(1), |r| r.parse())
                .unwrap_or_else(|e| panic!("{place}: NATS_STREAM_REPLICAS: {e}"));
            assert_eq!(
                stream_replicas, servers,
                "{place}: NATS_STREAM_REPLICAS keeps the stream on each of the {servers} NATS \
                 server(s)"
            );
        }
    }
    // Secrets of the stateful parts, too.
    for statefulset in resources(dir, "StatefulSet") {
        let place = format!(
            "{dir} StatefulSet {}",
            str_of(&statefulset["metadata"]["name"]).unwrap_or_default()
        );
        assert!(
            !seq(&statefulset["spec"]["volumeClaimTemplates"]).is_empty(),
            "{place}: keeps its data on a persistent volume"
        );
        assert_secrets_from_secret_refs(only_container(statefulset, &place), &place);
    }
}

// ---------------------------------------------------------------------------------------------
// CloudNativePG (deploy/k8s/production/databases.yaml)

/// The operator keeps the owner's credentials of a Cluster `<name>` in the Secret `<name>-app`,
/// whose key `uri` is a libpq URL to the Cluster's read-write Service `<name>-rw` (CloudNativePG
/// docs/src/applications.md, "Secrets"; pkg/specs/secrets.go).
const CNPG_APP_SECRET_SUFFIX: &str = "-app";
const CNPG_URI_KEY: &str = "uri";

/// What the Cluster API declares a field to be.
#[derive(Debug, Clone, Copy)]
enum Field {
    Text,
    /// `integer`, with the minimum the API validates.
    Integer {
        min: i64,
    },
    Boolean,
    /// A `string` restricted to an enum.
    OneOf(&'static [&'static str]),
    /// A Kubernetes quantity (`10Gi`, `100m`), as a string.
    Quantity,
    /// An object of quantities by resource name (corev1.ResourceList).
    Quantities,
    /// An object of strings (labels).
    Strings,
}

/// Every field of CloudNativePG's `Cluster` (postgresql.cnpg.io/v1) that these manifests rely on,
/// with the type its API gives it. Read in CloudNativePG 1.30.0: api/v1/cluster_types.go
/// (ClusterSpec, BootstrapInitDB, PostgresConfiguration, SynchronousReplicaConfiguration,
/// StorageConfiguration, AffinityConfiguration) and its generated CRD,
/// config/crd/bases/postgresql.cnpg.io_clusters.yaml. A Cluster using any other field fails
/// [`cloudnative_pg_clusters_use_only_the_fields_relied_on`] until that field is looked up there
/// and added here.
const CNPG_CLUSTER_FIELDS: &[(&str, Field)] = &[
    ("apiVersion", Field::OneOf(&["postgresql.cnpg.io/v1"])),
    ("kind", Field::OneOf(&["Cluster"])),
    ("metadata.name", Field::Text),
    ("metadata.namespace", Field::Text),
    ("metadata.labels", Field::Strings),
    // Required; +kubebuilder:validation:Minimum=1.
    ("spec.instances", Field::Integer { min: 1 }),
    ("spec.imageName", Field::Text),
    // BootstrapInitDB: the application database and its owner (default `app` for both).
    ("spec.bootstrap.initdb.database", Field::Text),
    ("spec.bootstrap.initdb.owner", Field::Text),
    // SynchronousReplicaConfiguration: method and number required; number > 0 (CEL rule).
    (
        "spec.postgresql.synchronous.method",
        Field::OneOf(&["any", "first"]),
    ),
    (
        "spec.postgresql.synchronous.number",
        Field::Integer { min: 1 },
    ),
    (
        "spec.postgresql.synchronous.dataDurability",
        Field::OneOf(&["required", "preferred"]),
    ),
    ("spec.storage.size", Field::Quantity),
    ("spec.affinity.enablePodAntiAffinity", Field::Boolean),
    ("spec.affinity.topologyKey", Field::Text),
    ("spec.resources.requests", Field::Quantities),
    ("spec.resources.limits", Field::Quantities),
];

/// Fields the API requires once their parent object is present.
const CNPG_CLUSTER_REQUIRED: &[&str] = &[
    "spec.instances",
    "spec.postgresql.synchronous.method",
    "spec.postgresql.synchronous.number",
];

fn is_quantity(value: &Value) -> bool {
    match value {
        Value::Number(n) => n.is_u64(),
        Value::String(s) => {
            let digits = s.trim_end_matches(|c: char| c.is_ascii_alphabetic());
            let suffix = &s[digits.len()..];
            !digits.is_empty()
                && digits.parse::<f64>().is_ok_and(|n| n >= 0.0)
                && ["", "m", "k", "M", "G", "T", "Ki", "Mi", "Gi", "Ti"].contains(&suffix)
        }
        _ => false,
    }
}

fn field_holds(field: Field, value: &Value) -> bool {
    match field {
        Field::Text => value.is_string(),
        Field::Integer { min } => value.as_i64().is_some_and(|n| n >= min),
        Field::Boolean => value.is_bool(),
        Field::OneOf(allowed) => value.as_str().is_some_and(|s| allowed.contains(&s)),
        Field::Quantity => value.is_string() && is_quantity(value),
        Field::Quantities => value
            .as_mapping()
            .is_some_and(|m| !m.is_empty() && m.values().all(is_quantity)),
        Field::Strings => value
            .as_mapping()
            .is_some_and(|m| m.values().all(Value::is_string)),
    }
}

/// Every field path of `value` down to a field of the table (or a leaf no entry covers).
fn field_paths<'a>(prefix: &str, value: &'a Value, out: &mut Vec<(String, &'a Value)>) {
    let known = CNPG_CLUSTER_FIELDS.iter().any(|(path, _)| *path == prefix);
    match value.as_mapping() {
        Some(mapping) if !known => {
            for (key, child) in mapping {
                let key = str_of(key).unwrap_or_default();
                let path = if prefix.is_empty() {
                    key
                } else {
                    format!("{prefix}.{key}")
                };
                field_paths(&path, child, out);
            }
        }
        _ => out.push((prefix.to_owned(), value)),
    }
}

#[test]
fn cloudnative_pg_clusters_use_only_the_fields_relied_on() {
    let clusters: Vec<&Value> = manifests(PRODUCTION)
        .iter()
        .filter(|m| str_of(&m["apiVersion"]).is_some_and(|v| v.starts_with("postgresql.cnpg.io/")))
        .collect();
    assert!(
        !clusters.is_empty(),
        "{PRODUCTION} renders CloudNativePG Clusters"
    );
    for cluster in clusters {
        let place = format!(
            "{PRODUCTION} {} {}",
            str_of(&cluster["kind"]).unwrap_or_default(),
            str_of(&cluster["metadata"]["name"]).unwrap_or_default()
        );
        let mut paths = Vec::new();
        field_paths("", cluster, &mut paths);
        for (path, value) in &paths {
            let field = CNPG_CLUSTER_FIELDS
                .iter()
                .find(|(known, _)| known == path)
                .map(|(_, field)| *field)
                .unwrap_or_else(|| {
                    panic!(
                        "{place}: uses {path}, which is not among the CloudNativePG fields this \
                         test knows (CNPG_CLUSTER_FIELDS): look it up in the Cluster API first"
                    )
                });
            assert!(
                field_holds(field, value),
                "{place}: {path} is {value:?}, not {field:?} as the Cluster API declares it"
            );
        }
        for required in CNPG_CLUSTER_REQUIRED {
            let parent = required.rsplit_once('.').map_or("", |(parent, _)| parent);
            let present = |p: &str| paths.iter().any(|(path, _)| path.starts_with(p));
            assert!(
                !present(&format!("{parent}.")) || present(required),
                "{place}: {required} is required once {parent} is set"
            );
        }
        // Synchronous standbys come from the other instances.
        let spec = &cluster["spec"];
        if let Some(number) = spec["postgresql"]["synchronous"]["number"].as_u64() {
            assert!(
                number < spec["instances"].as_u64().unwrap_or(1),
                "{place}: waits for {number} synchronous standbys, more than it has"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Both deployments

#[test]
fn no_deployment_sets_a_variable_that_nothing_reads() {
    for service in SERVICES {
        let name = service.name;
        let compose = compose_deployed(name);
        let k8s: Vec<Deployed> = RENDERINGS
            .iter()
            .map(|dir| {
                let deployment = resource(dir, "Deployment", name);
                k8s_env(
                    only_container(deployment, name),
                    &format!("{dir} Deployment {name}"),
                )
            })
            .collect();
        // What the code can read: the union over the configurations we ship (payments reads
        // STRIPE_KEY only with PAYMENTS_PROVIDER=stripe, as in Kubernetes, not with compose's fake).
        let readable: BTreeSet<String> = std::iter::once(&compose)
            .chain(&k8s)
            .flat_map(|deployed| deployed.reads(service))
            .chain(READ_OUTSIDE_SETTINGS.iter().map(|s| (*s).to_owned()))
            .collect();
        for deployed in std::iter::once(&compose).chain(&k8s) {
            let unread: Vec<&String> = deployed
                .env
                .keys()
                .filter(|k| !readable.contains(*k) && !deployed.helpers.contains(*k))
                .collect();
            assert!(
                unread.is_empty(),
                "{}: sets {unread:?}, which the {name} service never reads",
                deployed.place
            );
        }
    }
}

#[test]
fn the_gateway_and_the_ingress_route_every_api_prefix_and_the_rest_to_web() {
    // deploy/gateway/nginx.conf: `location <prefix> { set $backend <service>:<port>; ... }`.
    let nginx = read("deploy/gateway/nginx.conf");
    let mut gateway_routes = BTreeMap::new();
    for block in nginx.split("location ").skip(1) {
        let Some((head, body)) = block.split_once('{') else {
            continue;
        };
        let prefix = head
            .split_whitespace()
            .last()
            .unwrap_or_default()
            .to_owned();
        let backend = body
            .split_once("set $backend ")
            .and_then(|(_, rest)| rest.split_once(';'))
            .map(|(target, _)| target.trim().to_owned());
        if let Some(backend) = backend {
            gateway_routes.insert(prefix, backend);
        }
    }
    // The Ingress: ingressClassName nginx, `Prefix` paths to a Service's port.
    let mut ingress_routes = BTreeMap::new();
    let ingresses: Vec<&Value> = RENDERINGS
        .iter()
        .flat_map(|dir| resources(dir, "Ingress"))
        .collect();
    assert_eq!(
        ingresses.len(),
        RENDERINGS.len(),
        "each of {RENDERINGS:?} renders one Ingress"
    );
    for ingress in &ingresses {
        assert_eq!(
            ingress["spec"]["ingressClassName"].as_str(),
            Some("nginx"),
            "the Ingress is for ingress-nginx"
        );
        for rule in seq(&ingress["spec"]["rules"]) {
            for path in seq(&rule["http"]["paths"]) {
                assert_eq!(path["pathType"].as_str(), Some("Prefix"));
                let backend = &path["backend"]["service"];
                ingress_routes.insert(
                    str_of(&path["path"]).unwrap_or_default(),
                    (
                        str_of(&backend["name"]).unwrap_or_default(),
                        backend["port"]["number"].as_u64(),
                    ),
                );
            }
        }
    }

    // Each /api prefix to its service, and `/` (everything else) to the storefront.
    let mut prefixes = BTreeSet::new();
    for service in SERVICES {
        let Some(prefix) = service.route else {
            continue;
        };
        let name = service.name;
        prefixes.insert(prefix.to_owned());
        let compose_port = compose_deployed(name).port();
        assert_eq!(
            gateway_routes.get(prefix),
            Some(&format!("{name}:{compose_port}")),
            "deploy/gateway/nginx.conf routes {prefix} to {name}:{compose_port}"
        );
        let service_port = seq(&resource(BASE, "Service", name)["spec"]["ports"])
            .first()
            .and_then(|p| p["port"].as_u64());
        assert_eq!(
            ingress_routes.get(prefix),
            Some(&(name.to_owned(), service_port)),
            "the Ingress routes {prefix} to Service {name} port {service_port:?}"
        );
    }
    let stale = |routes: Vec<&String>| -> Vec<String> {
        routes
            .into_iter()
            .filter(|p| p.starts_with("/api") && !prefixes.contains(*p))
            .cloned()
            .collect()
    };
    assert_eq!(
        stale(gateway_routes.keys().collect()),
        Vec::<String>::new(),
        "the gateway routes no /api prefix that no service serves"
    );
    assert_eq!(
        stale(ingress_routes.keys().collect()),
        Vec::<String>::new(),
        "the Ingress routes no /api prefix that no service serves"
    );
}

#[test]
fn the_image_and_skaffold_build_every_service() {
    let dockerfile = read("deploy/Dockerfile");
    let lines: Vec<&str> = dockerfile.lines().map(str::trim).collect();
    let skaffold = yaml("skaffold.yaml");
    let artifacts = seq(&skaffold["build"]["artifacts"]);
    assert!(
        strings(&skaffold["manifests"]["kustomize"]["paths"]).contains(&"deploy/k8s".to_owned()),
        "skaffold deploys deploy/k8s with kustomize"
    );
    let copied = lines
        .iter()
        .find(|l| l.contains("for bin in "))
        .expect("deploy/Dockerfile copies the binaries in a `for bin in ...` loop");
    let binaries: BTreeSet<&str> = copied
        .split("for bin in ")
        .nth(1)
        .and_then(|rest| rest.split(';').next())
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    let mut images = BTreeSet::new();
    for service in SERVICES {
        let name = service.name;
        assert!(
            binaries.contains(name),
            "deploy/Dockerfile copies the {name} binary into the image"
        );
        // `FROM runtime AS <name>`: its own binary from the builder, and its CMD.
        let start = lines
            .iter()
            .position(|l| *l == format!("FROM runtime AS {name}"))
            .unwrap_or_else(|| panic!("deploy/Dockerfile has a target {name}"));
        let stage: Vec<&str> = lines[start + 1..]
            .iter()
            .copied()
            .take_while(|l| !l.starts_with("FROM "))
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .collect();
        assert_eq!(
            stage,
            [
                format!("COPY --from=builder /out/{name} /usr/local/bin/{name}"),
                format!("CMD [\"{name}\"]"),
            ],
            "deploy/Dockerfile target {name} holds only the {name} binary and runs it"
        );
        let image = format!("ticketing-{name}");
        let artifact = artifacts
            .iter()
            .find(|a| a["image"].as_str() == Some(image.as_str()))
            .unwrap_or_else(|| panic!("skaffold.yaml builds {image}"));
        assert_eq!(
            (
                artifact["docker"]["dockerfile"].as_str(),
                artifact["docker"]["target"].as_str()
            ),
            (Some("deploy/Dockerfile"), Some(name)),
            "skaffold builds {image} from deploy/Dockerfile target {name}"
        );
        images.insert(image);
    }
    let built: BTreeSet<String> = artifacts
        .iter()
        .filter_map(|a| str_of(&a["image"]))
        .collect();
    assert_eq!(
        built, images,
        "skaffold builds exactly the services' images"
    );
}

#[test]
fn compose_interpolation_follows_compose_rules() {
    let vars: BTreeMap<String, String> = [("SET", "v"), ("EMPTY", "")]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    let cases = [
        ("a-${SET}-b", Ok("a-v-b"), "braced"),
        ("$SET/x", Ok("v/x"), "bare"),
        ("$$SET", Ok("$SET"), "escaped dollar"),
        ("${EMPTY:-d}", Ok("d"), ":- replaces an empty value"),
        ("${EMPTY-d}", Ok(""), "- keeps an empty value"),
        ("${UNSET-d}", Ok("d"), "- replaces an unset value"),
        ("${SET:?need}", Ok("v"), ":? passes a set value"),
        ("${EMPTY:?need}", Err(()), ":? refuses an empty value"),
        ("${UNSET?need}", Err(()), "? refuses an unset value"),
    ];
    for (text, expected, case) in cases {
        assert_eq!(
            interpolate(text, &vars).map_err(drop),
            expected.map(str::to_owned),
            "{case}: {text}"
        );
    }
}
