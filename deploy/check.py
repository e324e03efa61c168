#!/usr/bin/env python3
"""Checks what ops apply, without a cluster.

Renders every overlay with `kubectl kustomize`, validates the output strictly against a
pinned Kubernetes version, lints the Dockerfile, and asserts that the manifests agree with
the binary: every Deployment has probes, resources and the security context; its args name
a real service; its ports, probe ports and Service ports are the port that service listens
on; every XINGFU__ variable it sets is a key the binary knows (`xingfu config-keys`).

Usage: deploy/check.py PATH_TO_XINGFU_BINARY
"""

import subprocess
import sys
from pathlib import Path

import yaml

KUBERNETES_VERSION = "1.31.0"
DEPLOY = Path(__file__).resolve().parent
OVERLAYS = ["dev", "prod", "prod-mtls"]
SERVICES = ["gateway", "projects", "volunteers", "funds", "workshops"]

results = []


def check(name, condition, detail=""):
    results.append((name, bool(condition), detail))


def run(*args, **kwargs):
    return subprocess.run(args, capture_output=True, text=True, **kwargs)


def known_keys(binary):
    out = run(binary, "config-keys", check=True).stdout
    keys, listen = set(), {}
    for line in out.splitlines():
        key, env, default = line.split("\t")
        if "<SERVICE>" in env:
            for service in SERVICES:
                keys.add(env.replace("<SERVICE>", service.upper()))
        else:
            keys.add(env)
        if key == "<service>.listen":
            for pair in default.split(", "):
                service, addr = pair.split("=")
                listen[service] = int(addr.rsplit(":", 1)[1])
    return keys, listen


def config_maps(objects):
    return {o["metadata"]["name"]: o.get("data", {}) for o in objects if o["kind"] == "ConfigMap"}


def check_deployment(overlay, deployment, maps, services, keys, listen):
    name = deployment["metadata"]["name"]
    where = f"{overlay}/{name}"
    spec = deployment["spec"]["template"]["spec"]
    container = spec["containers"][0]
    check(f"{where}: args serve one real service",
          container.get("args") == ["serve", "--services", name] and name in SERVICES, container.get("args"))
    port = listen.get(name)
    grpc_port = next((p["containerPort"] for p in container["ports"] if p["name"] == "grpc"), None)
    check(f"{where}: grpc port is the service's default port", grpc_port == port, f"{grpc_port} vs {port}")
    env = {}
    for source in container.get("envFrom", []):
        env.update(maps.get(source["configMapRef"]["name"], {}))
    for variable in container.get("env", []):
        env[variable["name"]] = variable.get("value", "<secret>")
    internal_tls = "XINGFU__AUTH__INTERNAL_TLS__CA_FILE" in env
    for probe in ("startupProbe", "readinessProbe"):
        if internal_tls:
            # A gRPC probe cannot speak TLS: the HTTP port answers for the gRPC health.
            got = container.get(probe, {}).get("httpGet", {})
            check(f"{where}: {probe} asks /readyz on the http port", got == {"path": "/readyz", "port": "http"}, got)
        else:
            got = container.get(probe, {}).get("grpc", {}).get("port")
            check(f"{where}: {probe} is a native gRPC probe on the grpc port", got == grpc_port, got)
    if internal_tls:
        mounted = {m["name"]: m["mountPath"] for m in container.get("volumeMounts", [])}
        secrets = {v["name"]: v.get("secret", {}).get("secretName") for v in spec.get("volumes", [])}
        folder = mounted.get("internal-tls")
        check(f"{where}: mounts its own internal TLS Secret",
              secrets.get("internal-tls") == f"{name}-internal-tls" and folder is not None, secrets)
        check(f"{where}: reads the three files from the mounted Secret",
              all(str(env.get(f"XINGFU__AUTH__INTERNAL_TLS__{k}_FILE", "")).startswith(f"{folder}/")
                  for k in ("CA", "CERT", "KEY")))
        check(f"{where}: no shared internal token", "XINGFU__AUTH__INTERNAL_TOKEN" not in env)
    check(f"{where}: livenessProbe exists", "livenessProbe" in container)
    resources = container.get("resources", {})
    check(f"{where}: requests and limits",
          {"cpu", "memory"} <= set(resources.get("requests", {})) and {"cpu", "memory"} <= set(resources.get("limits", {})))
    security = container.get("securityContext", {})
    pod_security = spec.get("securityContext", {})
    check(f"{where}: runs as non-root", pod_security.get("runAsNonRoot") and security.get("runAsNonRoot"))
    check(f"{where}: read-only root filesystem", security.get("readOnlyRootFilesystem") is True)
    check(f"{where}: no privilege escalation", security.get("allowPrivilegeEscalation") is False)
    check(f"{where}: capabilities dropped", security.get("capabilities", {}).get("drop") == ["ALL"])
    check(f"{where}: seccomp RuntimeDefault", pod_security.get("seccompProfile", {}).get("type") == "RuntimeDefault")
    check(f"{where}: termination grace covers drain + grace",
          spec.get("terminationGracePeriodSeconds", 30) >= 15)

    unknown = sorted(k for k in env if k.startswith("XINGFU__") and k not in keys)
    check(f"{where}: every XINGFU__ variable is a known key", not unknown, unknown)
    listen_key = f"XINGFU__{name.upper()}__LISTEN"
    check(f"{where}: listens on its grpc port on all interfaces", env.get(listen_key) == f"0.0.0.0:{grpc_port}",
          env.get(listen_key))
    check(f"{where}: HTTP port matches", env.get("XINGFU__HTTP__LISTEN") == "0.0.0.0:8080")
    check(f"{where}: its own database URL", f"XINGFU__{name.upper()}__DATABASE__URL" in env)
    drain = int(env.get("XINGFU__GRPC__DRAIN_DELAY_SECS", 0)) + int(env.get("XINGFU__GRPC__SHUTDOWN_GRACE_SECS", 8))
    check(f"{where}: grace period exceeds drain + in-flight grace",
          spec.get("terminationGracePeriodSeconds", 30) > drain, drain)
    service = services.get(name)
    service_port = service and next((p["port"] for p in service["spec"]["ports"] if p["name"] == "grpc"), None)
    check(f"{where}: Service exposes the grpc port", service_port == grpc_port, service_port)
    if name == "gateway":
        for upstream in SERVICES[1:]:
            endpoint = env.get(f"XINGFU__{upstream.upper()}__ENDPOINT")
            check(f"{where}: reaches every replica of {upstream} through its headless Service",
                  endpoint == f"http://{upstream}-replicas:{listen[upstream]}", endpoint)
            replicas = services.get(f"{upstream}-replicas")
            check(f"{where}: {upstream}-replicas is headless",
                  replicas is not None and replicas["spec"].get("clusterIP") == "None")


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    keys, listen = known_keys(sys.argv[1])
    hadolint = run("hadolint", str(DEPLOY / "Dockerfile"))
    check("Dockerfile: hadolint clean", hadolint.returncode == 0, hadolint.stdout + hadolint.stderr)
    for overlay in OVERLAYS:
        rendered = run("kubectl", "kustomize", str(DEPLOY / "overlays" / overlay))
        check(f"{overlay}: renders", rendered.returncode == 0, rendered.stderr)
        if rendered.returncode != 0:
            continue
        validated = run("kubernetes-validate", "--strict", "--quiet", "-k", KUBERNETES_VERSION, "-", input=rendered.stdout)
        check(f"{overlay}: validates strictly against Kubernetes {KUBERNETES_VERSION}", validated.returncode == 0,
              validated.stdout + validated.stderr)
        objects = [o for o in yaml.safe_load_all(rendered.stdout) if o]
        maps = config_maps(objects)
        services = {o["metadata"]["name"]: o for o in objects if o["kind"] == "Service"}
        deployments = [o for o in objects if o["kind"] == "Deployment"]
        check(f"{overlay}: one Deployment per service",
              sorted(d["metadata"]["name"] for d in deployments) == sorted(SERVICES))
        for kind in ("PodDisruptionBudget", "HorizontalPodAutoscaler", "ServiceAccount"):
            names = sorted(o["metadata"]["name"] for o in objects if o["kind"] == kind)
            check(f"{overlay}: a {kind} per service", all(s in names for s in SERVICES), names)
        check(f"{overlay}: network policies", any(o["kind"] == "NetworkPolicy" for o in objects))
        for deployment in deployments:
            check_deployment(overlay, deployment, maps, services, keys, listen)
    prod = [o for o in yaml.safe_load_all(run("kubectl", "kustomize", str(DEPLOY / "overlays" / "prod")).stdout) if o]
    common = config_maps(prod).get("xingfu-common", {})
    check("prod: streams replicated three times", common.get("XINGFU__NATS__REPLICAS") == "3")
    check("prod: NATS cluster URLs", common.get("XINGFU__NATS__URL", "").count("nats://") == 3)
    check("prod: traces exported", "XINGFU__OTEL__ENDPOINT" in common)

    documented = (DEPLOY.parent / "docs" / "operations.md").read_text()
    for line in run(sys.argv[1], "config-keys", check=True).stdout.splitlines():
        env = line.split("\t")[1]
        check(f"docs/operations.md documents {env}", f"`{env}`" in documented)

    failed = [r for r in results if not r[1]]
    for name, _, detail in failed:
        print(f"FAIL {name}: {detail}")
    print(f"manifests: {len(results) - len(failed)} passed, {len(failed)} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
