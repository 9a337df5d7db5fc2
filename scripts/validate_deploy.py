#!/usr/bin/env python3
"""Validates deploy/ offline: the Terraform and the Kubernetes manifests.

Terraform (deploy/terraform/*.tf):
  - every file parses with python-hcl2;
  - layout as `terraform fmt` writes it (hclwrite's rules): two spaces per
    bracket level, `=` of consecutive one-line attributes aligned one space
    after the longest name, one space after `=`, no tabs, no trailing
    blanks, one final newline;
  - every IAM policy is an aws_iam_policy_document whose actions are exactly
    the allowed list for that document (IAM_ACTIONS below), with no wildcard
    in an Allow; bucket policies only deny and require TLS;
  - buckets are versioned, encrypted and public-access-blocked; ECR tags are
    immutable and scanned; RDS is PostgreSQL 15, encrypted, private, with
    backups and deletion protection; the aws provider is pinned; variables
    and outputs are described.

Kubernetes (deploy/kubernetes/*.yaml):
  - every document validates against the Kubernetes JSON schemas bundled in
    kubernetes-validate (strict: unknown fields fail), offline;
  - kustomization.yaml lists every manifest but the example Secret;
  - Deployments and StatefulSets run 2+ replicas, probe /healthz (liveness,
    startup) and /readyz (readiness) on their container port, set resources
    and a restricted securityContext, spread their pods, and are covered by
    a PodDisruptionBudget and a Service; `sluice serve`'s service account
    carries the IRSA annotation and the others' do not (they call no AWS
    API); the gateway's journal is on a volume claim, not an emptyDir;
    SLUICE_* names are the documented ones; the example Secret holds
    placeholders only.

Prints one line per failure and a closing `N passed, N failed` line; exits 1
on any failure. `--root DIR` validates another checkout (the tests use it on
deliberately broken copies).
"""

import argparse
import functools
import os
import re
import sys

import hcl2
import kubernetes_validate
import yaml

# Kubernetes version whose schemas the manifests must satisfy (EKS standard
# support). Override with SLUICE_K8S_VERSION.
K8S_VERSION = os.environ.get("SLUICE_K8S_VERSION", "1.31")

# The AWS actions each policy document may grant, and must grant: exactly
# what the code calls. Sluice: S3 for dataset copies (multipart upload parts
# are PutObject; ListMultipartUploads is s3:ListBucketMultipartUploads), EC2 for model
# server instances, ECR to resolve image digests, KMS only with SSE-KMS.
# STS AssumeRoleWithWebIdentity is the trust policy's, done by the SDK side.
IAM_ACTIONS = {
    "sluice": {
        "s3:ListBucket", "s3:GetObject", "s3:PutObject",
        "s3:AbortMultipartUpload", "s3:ListBucketMultipartUploads",
        "ec2:RunInstances", "ec2:DescribeInstances", "ec2:TerminateInstances",
        "ec2:CreateTags", "iam:PassRole",
        "ecr:BatchGetImage",
        "kms:Decrypt", "kms:GenerateDataKey",
    },
    "sluice_assume_role": {"sts:AssumeRoleWithWebIdentity"},
    "model_server": {
        "ecr:GetAuthorizationToken", "ecr:BatchCheckLayerAvailability",
        "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer",
        "s3:GetObject", "kms:Decrypt",
    },
    "model_server_assume_role": {"sts:AssumeRole"},
}
# Bucket policies: Deny statements only (any S3 action).
BUCKET_POLICY_DOCUMENTS = {"staging_bucket", "rnd_bucket"}

# kubernetes-validate reads the schema files (megabytes of JSON) on every
# call; the self-test validates hundreds of documents, so read each once.
kubernetes_validate.utils.schema_contents = functools.lru_cache(maxsize=None)(
    kubernetes_validate.utils.schema_contents)

SERVE_PORT = 8080
GATEWAY_PORT = 8081


class Report:
    def __init__(self):
        self.passed = 0
        self.failures = []

    def check(self, ok, message):
        if ok:
            self.passed += 1
        else:
            self.failures.append(message)
        return ok

    def fail(self, message):
        self.check(False, message)


# --------------------------------------------------------------------------
# HCL layout


def _skip_string(text, i, where):
    """Index just past the quoted string that starts at text[i] == '"'."""
    i += 1
    while i < len(text):
        c = text[i]
        if c == "\\":
            i += 2
        elif c == '"':
            return i + 1
        elif c == "\n":
            raise ValueError(f"{where}: newline inside a quoted string")
        elif text.startswith("${", i) or text.startswith("%{", i):
            i = _skip_template(text, i + 2, where)
        else:
            i += 1
    raise ValueError(f"{where}: unterminated string")


def _skip_template(text, i, where):
    """Index just past the '}' closing an interpolation whose body starts at i."""
    depth = 1
    while i < len(text):
        c = text[i]
        if c == '"':
            i = _skip_string(text, i, where)
            continue
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    raise ValueError(f"{where}: unterminated interpolation")


def hcl_line_tokens(text, where):
    """Per physical line: a list of (kind, column) for the tokens that matter
    to the layout ('open', 'close', 'eq', 'other', 'comment'), or None for a
    line inside a heredoc or a block comment (left as written)."""
    lines, cur = [], []
    i, col0, heredoc, opaque = 0, 0, None, False
    n = len(text)
    while i < n:
        c = text[i]
        if c == "\n":
            lines.append(None if opaque else cur)
            cur, opaque = [], False
            i += 1
            col0 = i
            if heredoc:
                while i < n:
                    end = text.find("\n", i)
                    end = n if end == -1 else end
                    body = text[i:end]
                    lines.append(None)
                    i = col0 = end + 1
                    if body.strip() == heredoc:
                        break
                heredoc = None
            continue
        col = i - col0
        if c in " \t\r":
            i += 1
        elif c == "#" or text.startswith("//", i):
            cur.append(("comment", col))
            end = text.find("\n", i)
            i = n if end == -1 else end
        elif text.startswith("/*", i):
            cur.append(("comment", col))
            end = text.find("*/", i)
            if end == -1:
                raise ValueError(f"{where}: unterminated comment")
            newlines = text.count("\n", i, end)
            if newlines:
                # The lines a block comment spans are left as written.
                lines.append(cur)
                lines.extend([None] * (newlines - 1))
                cur, opaque = [], True
            i = end + 2
        elif c == '"':
            cur.append(("other", col))
            i = _skip_string(text, i, where)
        elif text.startswith("<<", i):
            m = re.match(r"<<-?([A-Za-z_][A-Za-z0-9_-]*)", text[i:])
            if not m:
                raise ValueError(f"{where}: malformed heredoc")
            heredoc = m.group(1)
            cur.append(("other", col))
            i += m.end()
        elif c in "{[(":
            cur.append(("open", col))
            i += 1
        elif c in "}])":
            cur.append(("close", col))
            i += 1
        elif c in "=!<>" and text.startswith("=", i + 1) or text.startswith("=>", i):
            cur.append(("other", col))
            i += 2
        elif c == "=":
            cur.append(("eq", col))
            i += 1
        else:
            cur.append(("other", col))
            m = re.match(r"[A-Za-z0-9_.\-:*]+", text[i:])
            i += m.end() if m else 1
    if cur:
        lines.append(None if opaque else cur)
    return lines


def _net(tokens):
    return sum(1 if k == "open" else -1 if k == "close" else 0 for k, _ in tokens)


def check_hcl_layout(text, where, report):
    """Reports where `terraform fmt` would change the file."""
    problems = []
    if "\t" in text:
        problems.append(f"line {text[:text.index(chr(9))].count(chr(10)) + 1}: tab character")
    if "\r" in text:
        problems.append("carriage return (CRLF line ends)")
    if not text.endswith("\n") or text.endswith("\n\n"):
        problems.append("the file must end with exactly one newline")
    raw = text.split("\n")
    for number, line in enumerate(raw, 1):
        if line != line.rstrip():
            problems.append(f"line {number}: trailing whitespace")
    try:
        token_lines = hcl_line_tokens(text, where)
    except ValueError as error:
        report.fail(str(error))
        return

    # Indentation: hclwrite's formatIndent.
    indents = []
    assign = {}
    for index, tokens in enumerate(token_lines):
        if tokens is None or not tokens:
            continue
        line = raw[index]
        net = _net(tokens)
        if net < 0:
            closed = -net
            while closed > 0 and indents:
                if closed >= indents[-1]:
                    closed -= indents.pop()
                else:
                    indents[-1] -= closed
                    closed = 0
        want = 2 * len(indents)
        if net > 0:
            indents.append(net)
        have = len(line) - len(line.lstrip(" "))
        if have != want:
            problems.append(f"line {index + 1}: indented {have} spaces, want {want}")
        # An assignment whose value closes on the same line takes part in
        # the alignment of `=`.
        for position, (kind, col) in enumerate(tokens):
            if kind == "eq" and position > 0:
                if _net(tokens[position:]) == 0:
                    assign[index] = col
                break

    # Alignment: hclwrite's formatCells. A chain is a run of consecutive
    # assignment lines; its `=` stand one column after its longest name.
    chain = []
    for index in range(len(token_lines) + 1):
        if index in assign:
            chain.append(index)
            continue
        if chain:
            width = max(len(raw[i][:assign[i]].rstrip()) for i in chain)
            for i in chain:
                if assign[i] != width + 1:
                    problems.append(
                        f"line {i + 1}: `=` at column {assign[i] + 1}, want {width + 2} "
                        "(aligned one space after the longest name)")
                after = raw[i][assign[i] + 1:]
                if after and (not after.startswith(" ") or after.startswith("  ")):
                    problems.append(f"line {i + 1}: want one space after `=`")
            chain = []
    for problem in problems:
        report.fail(f"{where}: not as `terraform fmt` writes it: {problem}")
    if not problems:
        report.check(True, "")


# --------------------------------------------------------------------------
# Terraform content


def unquote(value):
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


def blocks(tree, kind):
    """(type, name, body) for every `kind "type" "name" {}` in a parsed file."""
    for entry in tree.get(kind, []):
        for type_, named in entry.items():
            for name, body in named.items():
                yield unquote(type_), unquote(name), body


def statements(body):
    """Statements of a policy document, including dynamic ones' content."""
    for statement in body.get("statement", []):
        yield statement
    for dynamic in body.get("dynamic", []):
        for label, spec in dynamic.items():
            if unquote(label) == "statement":
                for content in spec.get("content", []):
                    yield content


def string_list(value):
    """Literal strings of an HCL list value (expressions are skipped)."""
    if isinstance(value, str):
        return [unquote(value)]
    return [unquote(v) for v in value or [] if isinstance(v, str)]


def check_policy_documents(documents, report):
    for name, (where, body) in sorted(documents.items()):
        label = f"{where}: aws_iam_policy_document.{name}"
        if name in BUCKET_POLICY_DOCUMENTS:
            tls = False
            for statement in statements(body):
                effect = unquote(statement.get("effect", '"Allow"'))
                report.check(effect == "Deny",
                             f"{label}: a bucket policy only denies; statement "
                             f"{unquote(statement.get('sid', '?'))} is {effect}")
                for condition in statement.get("condition", []):
                    if (unquote(condition.get("variable")) == "aws:SecureTransport"
                            and string_list(condition.get("values")) == ["false"]):
                        tls = True
            report.check(tls, f"{label}: no statement denying requests without TLS (aws:SecureTransport)")
            continue
        if not report.check(name in IAM_ACTIONS,
                            f"{label}: unknown policy document; add its allowed actions to "
                            "IAM_ACTIONS in scripts/validate_deploy.py"):
            continue
        granted = set()
        for statement in statements(body):
            sid = unquote(statement.get("sid", "?"))
            report.check("not_actions" not in statement, f"{label}: statement {sid} uses not_actions")
            effect = unquote(statement.get("effect", '"Allow"'))
            for action in string_list(statement.get("actions")):
                report.check("*" not in action or effect == "Deny",
                             f"{label}: statement {sid} allows the wildcard action {action}")
                report.check(action in IAM_ACTIONS[name],
                             f"{label}: statement {sid} grants {action}, which is not an action Sluice calls")
                granted.add(action)
        missing = IAM_ACTIONS[name] - granted
        report.check(not missing, f"{label}: does not grant {', '.join(sorted(missing))}")


POLICY_ATTRIBUTES = {
    "aws_iam_role": ["assume_role_policy"],
    "aws_iam_role_policy": ["policy"],
    "aws_iam_policy": ["policy"],
    "aws_s3_bucket_policy": ["policy"],
}


@functools.lru_cache(maxsize=None)
def parse_hcl(text):
    """hcl2.loads, once per distinct text (the self-test parses the same
    files again and again; the result is only read)."""
    return hcl2.loads(text)


def check_terraform(root, report):
    directory = os.path.join(root, "deploy", "terraform")
    files = sorted(f for f in os.listdir(directory) if f.endswith(".tf")) if os.path.isdir(directory) else []
    if not report.check(bool(files), f"{directory}: no .tf files"):
        return
    for required in ("versions.tf", "variables.tf", "outputs.tf"):
        report.check(required in files, f"deploy/terraform/{required} is missing")

    resources, documents, parsed = {}, {}, {}
    for file in files:
        where = f"deploy/terraform/{file}"
        with open(os.path.join(directory, file), encoding="utf-8") as handle:
            text = handle.read()
        check_hcl_layout(text, where, report)
        try:
            tree = parse_hcl(text)
        except Exception as error:  # the parser raises several kinds
            report.fail(f"{where}: does not parse as HCL: {str(error).splitlines()[0]}")
            continue
        report.check(True, "")
        parsed[file] = tree
        for type_, name, body in blocks(tree, "resource"):
            resources.setdefault(type_, {})[name] = (where, body)
        for type_, name, body in blocks(tree, "data"):
            if type_ == "aws_iam_policy_document":
                documents[name] = (where, body)

    # Provider pin.
    versions = parsed.get("versions.tf", {})
    pin = None
    for terraform in versions.get("terraform", []):
        for providers in terraform.get("required_providers", []):
            aws = providers.get("aws")
            if isinstance(aws, dict):
                pin = unquote(aws.get("version"))
    report.check(bool(pin) and re.match(r"^\s*(~>|=)?\s*\d", pin or "") is not None,
                 f"deploy/terraform/versions.tf: the aws provider needs a pinned version (~> or =), got {pin!r}")

    # Variables and outputs are documented.
    for file, tree in parsed.items():
        for kind in ("variable", "output"):
            for entry in tree.get(kind, []):
                for name, body in entry.items():
                    report.check("description" in body, f"deploy/terraform/{file}: {kind} {name} has no description")
                    if kind == "variable":
                        report.check("type" in body, f"deploy/terraform/{file}: variable {name} has no type")

    # Every policy comes from a policy document that the rules above check.
    for type_, attributes in POLICY_ATTRIBUTES.items():
        for name, (where, body) in resources.get(type_, {}).items():
            for attribute in attributes:
                value = body.get(attribute, "")
                report.check(re.fullmatch(r"\$\{data\.aws_iam_policy_document\.\w+\.json\}", str(value)) is not None,
                             f"{where}: {type_}.{name}.{attribute} must be data.aws_iam_policy_document.<name>.json, "
                             f"not {str(value)[:60]}")
    for type_ in ("aws_iam_user_policy", "aws_iam_group_policy", "aws_iam_role_policy_attachment",
                  "aws_iam_policy_attachment"):
        for name, (where, _) in resources.get(type_, {}).items():
            report.fail(f"{where}: {type_}.{name}: attach policies only as aws_iam_role_policy from a checked document")
    check_policy_documents(documents, report)
    report.check(BUCKET_POLICY_DOCUMENTS <= documents.keys(),
                 f"deploy/terraform: bucket policy documents missing: "
                 f"{', '.join(sorted(BUCKET_POLICY_DOCUMENTS - documents.keys()))}")

    # Buckets: versioned, encrypted, not public, with a policy.
    buckets = resources.get("aws_s3_bucket", {})
    report.check(bool(buckets), "deploy/terraform: no aws_s3_bucket")
    for bucket in buckets:
        for companion in ("aws_s3_bucket_versioning", "aws_s3_bucket_server_side_encryption_configuration",
                          "aws_s3_bucket_public_access_block", "aws_s3_bucket_policy"):
            covered = any(f"aws_s3_bucket.{bucket}" in str(body) for _, body in resources.get(companion, {}).values())
            report.check(covered, f"deploy/terraform: aws_s3_bucket.{bucket} has no {companion}")
    for name, (where, body) in resources.get("aws_s3_bucket_versioning", {}).items():
        status = [unquote(v.get("status")) for v in body.get("versioning_configuration", [])]
        report.check(status == ["Enabled"], f"{where}: aws_s3_bucket_versioning.{name} is not Enabled")
    for name, (where, body) in resources.get("aws_s3_bucket_public_access_block", {}).items():
        for flag in ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"):
            report.check(body.get(flag) is True, f"{where}: aws_s3_bucket_public_access_block.{name}.{flag} must be true")

    # ECR.
    repositories = resources.get("aws_ecr_repository", {})
    report.check(bool(repositories), "deploy/terraform: no aws_ecr_repository")
    for name, (where, body) in repositories.items():
        report.check(unquote(body.get("image_tag_mutability")) == "IMMUTABLE",
                     f"{where}: aws_ecr_repository.{name} must have immutable tags")
        scan = [s.get("scan_on_push") for s in body.get("image_scanning_configuration", [])]
        report.check(scan == [True], f"{where}: aws_ecr_repository.{name} must scan on push")

    # RDS.
    databases = resources.get("aws_db_instance", {})
    report.check(len(databases) == 1, "deploy/terraform: want exactly one aws_db_instance")
    for name, (where, body) in databases.items():
        label = f"{where}: aws_db_instance.{name}"
        report.check(unquote(body.get("engine")) == "postgres", f"{label}: engine must be postgres")
        report.check(str(unquote(body.get("engine_version", ""))).split(".")[0] == "15",
                     f"{label}: engine_version must be PostgreSQL 15")
        report.check(body.get("storage_encrypted") is True, f"{label}: storage_encrypted must be true")
        report.check(body.get("deletion_protection") is True, f"{label}: deletion_protection must be true")
        report.check(body.get("publicly_accessible") is False, f"{label}: publicly_accessible must be false")
        report.check("db_subnet_group_name" in body, f"{label}: needs db_subnet_group_name (private subnets)")
        retention = body.get("backup_retention_period")
        report.check(retention is not None and retention != 0, f"{label}: backups are off (backup_retention_period)")
        report.check(body.get("skip_final_snapshot") is False, f"{label}: skip_final_snapshot must be false")
        report.check("password" not in body, f"{label}: no password in Terraform; use manage_master_user_password")


# --------------------------------------------------------------------------
# Kubernetes


def documented_sluice_variables(root):
    with open(os.path.join(root, "docs", "operations.md"), encoding="utf-8") as handle:
        return set(re.findall(r"SLUICE_[A-Z_]+", handle.read()))


def selects(selector, labels):
    match = (selector or {}).get("matchLabels") or {}
    return bool(match) and all(labels.get(k) == v for k, v in match.items())


def probe_port(probe, container):
    port = ((probe or {}).get("httpGet") or {}).get("port")
    for declared in container.get("ports", []):
        if port in (declared.get("name"), declared.get("containerPort")):
            return declared.get("containerPort")
    return None


def env_value(container, name, config_maps):
    for variable in container.get("env", []):
        if variable.get("name") == name:
            return variable.get("value", variable.get("valueFrom"))
    for source in container.get("envFrom", []):
        ref = (source.get("configMapRef") or {}).get("name")
        if ref in config_maps and name in config_maps[ref]:
            return config_maps[ref][name]
    return None


def check_container(label, container, spec, config_maps, documented, report):
    name = container.get("name")
    where = f"{label} container {name}"
    report.check(bool(container.get("image")), f"{where}: no image")
    args = container.get("args") or container.get("command") or []
    command = args[0] if args else None
    report.check(command in ("serve", "gateway", "migrate"), f"{where}: runs {args}, not a sluice subcommand")
    for variable in container.get("env", []):
        if variable["name"].startswith("SLUICE_"):
            report.check(variable["name"] in documented,
                         f"{where}: {variable['name']} is not a variable docs/operations.md documents")
    context = container.get("securityContext") or {}
    pod_context = spec.get("securityContext") or {}
    report.check(context.get("readOnlyRootFilesystem") is True, f"{where}: readOnlyRootFilesystem must be true")
    report.check(context.get("allowPrivilegeEscalation") is False, f"{where}: allowPrivilegeEscalation must be false")
    report.check("ALL" in ((context.get("capabilities") or {}).get("drop") or []),
                 f"{where}: capabilities must drop ALL")
    report.check(context.get("runAsNonRoot", pod_context.get("runAsNonRoot")) is True,
                 f"{where}: runAsNonRoot must be true")
    resources = container.get("resources") or {}
    requests = resources.get("requests") or {}
    report.check("cpu" in requests and "memory" in requests, f"{where}: needs cpu and memory requests")
    report.check("memory" in (resources.get("limits") or {}), f"{where}: needs a memory limit")
    for variable in ("SLUICE_DATABASE_URL",) + (("SLUICE_ADMIN_TOKEN",) if command == "serve" else ()):
        source = next((v for v in container.get("env", []) if v.get("name") == variable), {})
        report.check("secretKeyRef" in (source.get("valueFrom") or {}),
                     f"{where}: {variable} must come from a Secret (valueFrom.secretKeyRef)")
    report.check(env_value(container, "AWS_REGION", config_maps) is not None, f"{where}: AWS_REGION is not set")
    if command == "migrate":
        return
    port = SERVE_PORT if command == "serve" else GATEWAY_PORT
    port_variable = "SLUICE_PORT" if command == "serve" else "SLUICE_GATEWAY_PORT"
    report.check(str(env_value(container, port_variable, config_maps)) == str(port),
                 f"{where}: {port_variable} must be {port}")
    report.check(port in [p.get("containerPort") for p in container.get("ports", [])],
                 f"{where}: must declare containerPort {port}")
    for probe, path in (("livenessProbe", "/healthz"), ("startupProbe", "/healthz"), ("readinessProbe", "/readyz")):
        got = ((container.get(probe) or {}).get("httpGet") or {}).get("path")
        report.check(got == path, f"{where}: {probe} must GET {path}, not {got}")
        report.check(probe_port(container.get(probe), container) == port,
                     f"{where}: {probe} must target the container's port {port}")


def check_kubernetes(root, report):
    directory = os.path.join(root, "deploy", "kubernetes")
    files = sorted(f for f in os.listdir(directory) if f.endswith((".yaml", ".yml"))) if os.path.isdir(directory) else []
    if not report.check(bool(files), f"{directory}: no manifests"):
        return
    documented = documented_sluice_variables(root)
    objects = []
    for file in files:
        where = f"deploy/kubernetes/{file}"
        try:
            with open(os.path.join(directory, file), encoding="utf-8") as handle:
                documents = [d for d in yaml.safe_load_all(handle) if d is not None]
        except yaml.YAMLError as error:
            report.fail(f"{where}: not YAML: {error}")
            continue
        if file == "kustomization.yaml":
            listed = documents[0].get("resources", []) if documents else []
            for entry in listed:
                report.check(entry in files, f"{where}: lists {entry}, which does not exist")
            for other in files:
                if other not in ("kustomization.yaml", "secret.example.yaml"):
                    report.check(other in listed, f"{where}: does not list {other}")
            report.check("secret.example.yaml" not in listed,
                         f"{where}: must not apply the example Secret")
            continue
        for document in documents:
            label = f"{where}: {document.get('kind')}/{(document.get('metadata') or {}).get('name')}"
            try:
                kubernetes_validate.validate(document, K8S_VERSION, strict=True)
                report.check(True, "")
            except kubernetes_validate.ValidationError as error:
                path = ".".join(str(p) for p in error.path)
                report.fail(f"{label}: schema (Kubernetes {K8S_VERSION}): {path}: {error.message}")
            except kubernetes_validate.SchemaNotFoundError as error:
                report.fail(f"{label}: {error.message}")
            except Exception as error:  # a malformed document (no apiVersion, ...)
                report.fail(f"{label}: cannot validate: {error!r}")
            objects.append((file, label, document))

    by_kind = {}
    for file, label, document in objects:
        by_kind.setdefault(document.get("kind"), []).append((file, label, document))
    config_maps = {d["metadata"]["name"]: d.get("data") or {} for _, _, d in by_kind.get("ConfigMap", [])}
    accounts = {d["metadata"]["name"]: d for _, _, d in by_kind.get("ServiceAccount", [])}

    deployments = by_kind.get("Deployment", []) + by_kind.get("StatefulSet", [])
    commands = set()
    for file, label, deployment in deployments:
        spec = deployment.get("spec") or {}
        template = spec.get("template") or {}
        pod = template.get("spec") or {}
        labels = (template.get("metadata") or {}).get("labels") or {}
        report.check((spec.get("replicas") or 1) >= 2, f"{label}: replicas must be 2 or more, got {spec.get('replicas')}")
        report.check(bool(pod.get("topologySpreadConstraints") or (pod.get("affinity") or {}).get("podAntiAffinity")),
                     f"{label}: needs topologySpreadConstraints or podAntiAffinity")
        account = accounts.get(pod.get("serviceAccountName"))
        runs = {(c.get("args") or [None])[0] for c in pod.get("containers", [])}
        has_role = account is not None and "eks.amazonaws.com/role-arn" in \
            ((account.get("metadata") or {}).get("annotations") or {})
        if "serve" in runs:
            report.check(has_role, f"{label}: its service account must exist and carry eks.amazonaws.com/role-arn")
        else:
            report.check(account is not None and not has_role,
                         f"{label}: its service account must exist and carry no AWS role (it calls no AWS API)")
        if "gateway" in runs:
            claims = {(t.get("metadata") or {}).get("name") for t in spec.get("volumeClaimTemplates") or []}
            mounts = [m for c in pod.get("containers", []) for m in c.get("volumeMounts") or []]
            journal = next((m["name"] for m in mounts if m.get("mountPath") == "/var/lib/sluice/gateway-journal"), None)
            report.check(journal is not None and journal in claims,
                         f"{label}: the gateway's journal must be on a volume claim of its own (a StatefulSet), "
                         "not on a volume deleted with the pod")
        report.check(any(selects(p["spec"].get("selector"), labels) for _, _, p in by_kind.get("PodDisruptionBudget", [])),
                     f"{label}: no PodDisruptionBudget selects its pods")
        report.check(any(selects({"matchLabels": s["spec"].get("selector")}, labels) for _, _, s in by_kind.get("Service", [])),
                     f"{label}: no Service selects its pods")
        for container in pod.get("containers", []):
            check_container(label, container, pod, config_maps, documented, report)
            commands.update((container.get("args") or [])[:1])
    report.check({"serve", "gateway"} <= commands, "deploy/kubernetes: want workloads running `serve` and `gateway`")

    jobs = by_kind.get("Job", [])
    migrate = False
    for file, label, job in jobs:
        pod = job["spec"]["template"]["spec"]
        for container in pod.get("containers", []):
            check_container(label, container, pod, config_maps, documented, report)
            migrate = migrate or (container.get("args") or [None])[0] == "migrate"
    report.check(migrate, "deploy/kubernetes: no Job runs `sluice migrate`")

    for file, label, secret in by_kind.get("Secret", []):
        values = dict(secret.get("stringData") or {}, **(secret.get("data") or {}))
        report.check(file == "secret.example.yaml", f"{label}: Secrets belong in secret.example.yaml only (as an example)")
        for key, value in values.items():
            report.check("CHANGE-ME" in str(value), f"{label}: {key} must be a CHANGE-ME placeholder, never a real value")


def validate(root):
    report = Report()
    check_terraform(root, report)
    check_kubernetes(root, report)
    return report


# --------------------------------------------------------------------------
# Self-test: a validator that cannot fail is a defect. Each mutation breaks a
# copy of deploy/ in one way; the validator must fail on it, naming the
# problem.

MUTATIONS = [
    # (file under deploy/, text, replacement or None to delete the file, expected failure)
    ("terraform/iam.tf", '"ec2:TerminateInstances"]', '"ec2:TerminateInstances", "ec2:StopInstances"]',
     "grants ec2:StopInstances, which is not an action Sluice calls"),
    ("terraform/iam.tf", '      "s3:AbortMultipartUpload",\n', "",
     "does not grant s3:AbortMultipartUpload"),
    ("terraform/iam.tf", 'actions   = ["s3:ListBucketMultipartUploads"]', 'actions   = ["s3:ListBucket"]',
     "does not grant s3:ListBucketMultipartUploads"),
    ("terraform/iam.tf", '"ec2:DescribeInstances"]', '"ec2:Describe*"]', "allows the wildcard action ec2:Describe*"),
    ("terraform/iam.tf", "policy = data.aws_iam_policy_document.sluice.json", 'policy = jsonencode({ Statement = [] })',
     "aws_iam_role_policy.sluice.policy must be data.aws_iam_policy_document"),
    ("terraform/s3.tf", 'sid       = "DenyReadExceptSluice"\n    effect    = "Deny"',
     'sid       = "DenyReadExceptSluice"\n    effect    = "Allow"', "a bucket policy only denies"),
    ("terraform/s3.tf", '      values   = ["false"]', '      values   = ["true"]',
     "no statement denying requests without TLS"),
    ("terraform/s3.tf", "  restrict_public_buckets = true", "  restrict_public_buckets = false",
     "restrict_public_buckets must be true"),
    ("terraform/rds.tf", "deletion_protection        = true", "deletion_protection        = false",
     "deletion_protection must be true"),
    ("terraform/rds.tf", 'engine_version = "15"', 'engine_version = "16"', "engine_version must be PostgreSQL 15"),
    ("terraform/ecr.tf", '"IMMUTABLE"', '"MUTABLE"', "must have immutable tags"),
    ("terraform/versions.tf", '      version = "~> 5.80"', '      version = ">= 5.0"', "needs a pinned version"),
    ("terraform/versions.tf", "    tags = merge", "      tags = merge", "indented 6 spaces, want 4"),
    ("terraform/rds.tf", '  engine         = "postgres"', '  engine = "postgres"', "`=` at column"),
    ("terraform/rds.tf", '  identifier     = var.name_prefix', '  identifier     =  var.name_prefix',
     "want one space after `=`"),
    ("terraform/ecr.tf", "    scan_on_push = true\n", "    scan_on_push = true \n", "trailing whitespace"),
    ("terraform/s3.tf", "    rnd     = var.rnd_bucket_name\n  }", "    rnd     = var.rnd_bucket_name\n",
     "does not parse as HCL"),
    ("kubernetes/deployment-serve.yaml", "  replicas: 2", "  replicas: 1", "replicas must be 2 or more"),
    ("kubernetes/deployment-serve.yaml", "path: /readyz", "path: /ready", "readinessProbe must GET /readyz"),
    ("kubernetes/statefulset-gateway.yaml", "              path: /healthz\n              port: http",
     "              path: /healthz\n              port: 8080", "must target the container's port 8081"),
    ("kubernetes/deployment-serve.yaml", "containerPort: 8080", 'containerPort: "8080"', "schema (Kubernetes"),
    ("kubernetes/pdb-gateway.yaml", "minAvailable: 1", "minAvailabel: 1", "'minAvailabel' was unexpected"),
    ("kubernetes/pdb-serve.yaml", None, None, "no PodDisruptionBudget selects its pods"),
    ("kubernetes/statefulset-gateway.yaml", "readOnlyRootFilesystem: true", "readOnlyRootFilesystem: false",
     "readOnlyRootFilesystem must be true"),
    ("kubernetes/deployment-serve.yaml", "SLUICE_WORKERS", "SLUICE_WORKER", "SLUICE_WORKER is not a variable"),
    ("kubernetes/serviceaccount.yaml", "eks.amazonaws.com/role-arn", "example.com/role-arn",
     "carry eks.amazonaws.com/role-arn"),
    ("kubernetes/secret.example.yaml", "CHANGE-ME-to-a-long-random-token", "s3cr3t-real-token-value",
     "must be a CHANGE-ME placeholder"),
    ("kubernetes/kustomization.yaml", "  - pdb-gateway.yaml\n", "", "does not list pdb-gateway.yaml"),
    ("kubernetes/statefulset-gateway.yaml", "      serviceAccountName: sluice-no-aws", "      serviceAccountName: sluice",
     "carry no AWS role"),
    ("kubernetes/statefulset-gateway.yaml", "              mountPath: /var/lib/sluice/gateway-journal",
     "              mountPath: /var/lib/sluice/journal", "journal must be on a volume claim"),
]


def self_test(root):
    import shutil
    import tempfile

    failures = []
    with tempfile.TemporaryDirectory(prefix="validate-deploy-") as scratch:
        def fresh():
            copy = os.path.join(scratch, "root")
            shutil.rmtree(copy, ignore_errors=True)
            shutil.copytree(os.path.join(root, "deploy"), os.path.join(copy, "deploy"))
            os.makedirs(os.path.join(copy, "docs"))
            shutil.copy(os.path.join(root, "docs", "operations.md"), os.path.join(copy, "docs"))
            return copy

        baseline = validate(fresh())
        if baseline.failures:
            failures.append(f"the unmodified copy fails: {baseline.failures[0]}")
        for file, text, replacement, expected in MUTATIONS:
            copy = fresh()
            path = os.path.join(copy, "deploy", file)
            if text is None:
                os.remove(path)
            else:
                with open(path, encoding="utf-8") as handle:
                    content = handle.read()
                if text not in content:
                    failures.append(f"mutation of {file}: {text!r} no longer occurs; update MUTATIONS")
                    continue
                with open(path, "w", encoding="utf-8") as handle:
                    handle.write(content.replace(text, replacement, 1))
            report = validate(copy)
            if not any(expected in failure for failure in report.failures):
                got = report.failures[0] if report.failures else "it passed"
                failures.append(f"breaking {file} ({expected!r}) was not caught: {got}")
    return len(MUTATIONS) + 1 - len(failures), failures


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    parser.add_argument("--self-test", action="store_true",
                        help="also check that deliberately broken copies of deploy/ fail")
    arguments = parser.parse_args()
    report = validate(arguments.root)
    passed, failed = report.passed, list(report.failures)
    if arguments.self_test:
        caught, missed = self_test(arguments.root)
        passed += caught
        failed += [f"self-test: {m}" for m in missed]
    for failure in failed:
        print(f"FAIL {failure}")
    print(f"validate-deploy: {passed} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
