//! Logs and traces. Logs are JSON (production) or pretty (local) lines, filtered by `RUST_LOG`;
//! every span is also an OpenTelemetry span, so each request and event handling has a W3C trace
//! id that every log line inside it carries. Spans are exported over OTLP only when
//! `OTEL_EXPORTER_OTLP_ENDPOINT` is set; otherwise the ids are made and nothing is sent.

use std::io::IsTerminal;
use std::sync::OnceLock;

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::WithExportConfig as _;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::Interest;
use tracing::{Level, Metadata, Subscriber};
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::{EnvFilter, fmt, prelude::*};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Json,
    Pretty,
}

impl std::str::FromStr for LogFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "json" => Ok(Self::Json),
            "pretty" => Ok(Self::Pretty),
            other => Err(format!("expected json or pretty, got {other:?}")),
        }
    }
}

/// Where spans go besides the logs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TraceExport {
    /// The OTLP/HTTP collector, e.g. `http://otel-collector:4318` (`/v1/traces` is appended).
    pub otlp_endpoint: Option<String>,
    /// `service.name` of the exported spans: the service, or `ticketing` in local mode.
    pub service_name: String,
}

/// What is logged when `RUST_LOG` is unset.
pub const DEFAULT_FILTER: &str = "info";

static PROVIDER: OnceLock<SdkTracerProvider> = OnceLock::new();

/// Installs the global subscriber and the span export once (later calls, in tests, are no-ops):
/// `default_filter` applies when `RUST_LOG` is unset, log lines go to `writer` (tests capture
/// them).
pub fn init_with<W>(format: LogFormat, export: &TraceExport, default_filter: &str, writer: W)
where
    W: for<'w> fmt::MakeWriter<'w> + Send + Sync + 'static,
{
    if PROVIDER.get().is_some() {
        return;
    }
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    let provider = tracer_provider(export);
    let tracer = provider.tracer("ticketing");
    let otel = tracing_opentelemetry::layer().with_tracer(tracer);
    let logged =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    let registry = tracing_subscriber::registry()
        .with(SpansAlways { logs: logged })
        .with(otel);
    // The span list (not only the current span) so that lines inside nested spans still carry
    // the request's or event's `trace_id`, a field of the outermost span.
    let installed = match format {
        LogFormat::Json => registry
            .with(
                fmt::layer()
                    .json()
                    .with_current_span(false)
                    .with_span_list(true)
                    .with_writer(writer),
            )
            .try_init(),
        LogFormat::Pretty => registry
            .with(
                fmt::layer()
                    .compact()
                    .with_ansi(std::io::stdout().is_terminal())
                    .with_writer(writer),
            )
            .try_init(),
    };
    if installed.is_ok() {
        opentelemetry::global::set_tracer_provider(provider.clone());
        let _ = PROVIDER.set(provider);
    }
}

/// The global filter: `RUST_LOG` chooses which events become log lines, while spans at `INFO`
/// and above (requests, event handlings and what runs inside them) are always made, so traces
/// and the trace ids of log lines do not depend on the log level.
struct SpansAlways {
    logs: EnvFilter,
}

fn is_traced(meta: &Metadata<'_>) -> bool {
    meta.is_span() && *meta.level() <= Level::INFO
}

impl<S> Layer<S> for SpansAlways
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn register_callsite(&self, meta: &'static Metadata<'static>) -> Interest {
        if is_traced(meta) {
            Interest::always()
        } else {
            Layer::<S>::register_callsite(&self.logs, meta)
        }
    }

    fn enabled(&self, meta: &Metadata<'_>, ctx: Context<'_, S>) -> bool {
        is_traced(meta) || Layer::<S>::enabled(&self.logs, meta, ctx)
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        let logs = Layer::<S>::max_level_hint(&self.logs).unwrap_or(LevelFilter::TRACE);
        Some(logs.max(LevelFilter::INFO))
    }

    // The log filter follows spans for its span-scoped directives (`target[span]=level`).
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        self.logs.on_new_span(attrs, id, ctx);
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        self.logs.on_record(id, values, ctx);
    }

    fn on_enter(&self, id: &Id, ctx: Context<'_, S>) {
        self.logs.on_enter(id, ctx);
    }

    fn on_exit(&self, id: &Id, ctx: Context<'_, S>) {
        self.logs.on_exit(id, ctx);
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        self.logs.on_close(id, ctx);
    }
}

fn tracer_provider(export: &TraceExport) -> SdkTracerProvider {
    let resource = Resource::builder()
        .with_service_name(export.service_name.clone())
        .build();
    let builder = SdkTracerProvider::builder().with_resource(resource);
    let Some(endpoint) = &export.otlp_endpoint else {
        return builder.build();
    };
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_endpoint(format!("{}/v1/traces", endpoint.trim_end_matches('/')))
        .build();
    match exporter {
        // Batched on its own thread: a slow or absent collector never blocks a request.
        Ok(exporter) => builder.with_batch_exporter(exporter).build(),
        Err(e) => {
            eprintln!("OTLP export to {endpoint} disabled: {e}");
            builder.build()
        }
    }
}

/// Sends the spans still buffered (on shutdown).
pub fn flush() {
    if let Some(provider) = PROVIDER.get()
        && let Err(e) = provider.force_flush()
    {
        tracing::debug!(error = %e, "flushing spans");
    }
}
