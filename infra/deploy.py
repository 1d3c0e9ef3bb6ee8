"""Deploy the store to LocalStack (default) or AWS, or remove it again.

    python -m infra.deploy                                # LocalStack on http://localhost:4566
    python -m infra.deploy --destroy
    python -m infra.deploy --stage prod --env DATABASE_URL=... --env REDIS_URL=... \\
        --subnet-ids subnet-a,subnet-b --security-group-ids sg-1

What it does, each step create-or-update so a re-run is safe:
  1. secrets: one Secrets Manager secret per `*_ARN` variable the stage declares
     (value from the same-named variable without `_ARN`, e.g. XSOLLA_WEBHOOK_SECRET);
  2. `chalice package --stage <stage>`: the function zip and the SAM template, which stays the
     single source of runtime, memory, timeout, concurrency and environment;
  3. IAM role, Lambda function, API Gateway REST API imported from the packaged swagger,
     invoke permission, deployment;
  4. the built storefront (frontend/dist) in an S3 website bucket, hashed assets immutable.
Resources are found again by name (`<app>-<stage>`), so no state file is kept.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import mimetypes
import os
import re
import secrets
import shutil
import subprocess
import sys
import time
from base64 import b64encode
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from chalicelib.config import DEV_WEBHOOK_SECRET

PROJECT_DIR = Path(__file__).resolve().parent.parent
LOCALSTACK_ENDPOINT = "http://localhost:4566"
DEFAULT_REGION = "us-east-1"

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
# Vite writes content-hashed names (index-3dhmDiGL.js) into assets/; only those may be cached
# forever. Files copied from public/ keep their names and must be revalidated.
HASHED_ASSET = re.compile(r"^assets/(?:.+/)?[^/]+-[A-Za-z0-9_-]{8,}\.[A-Za-z0-9]+$")
# Explicit, because mimetypes depends on the machine's /etc/mime.types.
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".map": "application/json",
    ".webmanifest": "application/manifest+json",
    ".txt": "text/plain; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".ico": "image/x-icon",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".ttf": "font/ttf",
    ".wasm": "application/wasm",
}
# Older regions name their website endpoint with a dash, newer ones with a dot.
DASH_WEBSITE_REGIONS = {
    "us-east-1",
    "us-west-1",
    "us-west-2",
    "eu-west-1",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-northeast-1",
    "sa-east-1",
}
LAMBDA_TRUST_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}
VPC_ACCESS_POLICY = "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"
ROLE_POLICY_NAME = "runtime"


class DeployError(RuntimeError):
    """The deployment cannot go on; the message says what to do."""


@dataclass(frozen=True)
class SecretSpec:
    """A secret the function reads from Secrets Manager through the `arn_variable` it is given."""

    arn_variable: str
    suffix: str
    generated: bool = False
    local_default: str | None = None

    @property
    def value_variable(self) -> str:
        return self.arn_variable.removesuffix("_ARN")


SECRET_SPECS = (
    # The dev default on emulators lets scripts/simulate_webhook.py sign deliveries to LocalStack.
    SecretSpec("XSOLLA_WEBHOOK_SECRET_ARN", "xsolla-webhook-secret", local_default=DEV_WEBHOOK_SECRET),
    SecretSpec("SESSION_SECRET_ARN", "session-secret", generated=True),
    SecretSpec("XSOLLA_API_KEY_ARN", "xsolla-api-key"),
)


@dataclass
class Target:
    stage: str = "localstack"
    endpoint_url: str | None = LOCALSTACK_ENDPOINT
    region: str = DEFAULT_REGION
    project_dir: Path = PROJECT_DIR
    dist_dir: Path = PROJECT_DIR / "frontend" / "dist"
    out_dir: Path | None = None
    env: dict[str, str] = field(default_factory=dict)
    subnet_ids: list[str] = field(default_factory=list)
    security_group_ids: list[str] = field(default_factory=list)

    @property
    def package_dir(self) -> Path:
        return self.out_dir or self.project_dir / "infra" / "out" / self.stage

    @property
    def local(self) -> bool:
        return self.endpoint_url is not None


@dataclass(frozen=True)
class Names:
    app: str
    stage: str
    account: str
    region: str

    @property
    def prefix(self) -> str:
        return f"{self.app}-{self.stage}"

    @property
    def bucket(self) -> str:
        return f"{self.prefix}-site-{self.account}-{self.region}"[:63].rstrip("-")

    def secret(self, spec: SecretSpec) -> str:
        return f"{self.app}/{self.stage}/{spec.suffix}"

    @property
    def tags(self) -> dict[str, str]:
        return {"app": self.app, "stage": self.stage}


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- AWS sessions -------------------------------------------------------------------------------


def make_session(target: Target) -> Any:
    """localstack-client for an emulator endpoint (dummy credentials, one edge port); plain boto3
    with the normal credential chain for AWS."""
    if target.endpoint_url is None:
        import boto3

        return boto3.session.Session(region_name=target.region)
    from localstack_client.session import Session

    url = urlparse(target.endpoint_url)
    if url.scheme != "http" or not url.hostname:
        raise DeployError(f"--endpoint-url must look like http://host:port, got {target.endpoint_url}")
    env_endpoint = os.environ.get("AWS_ENDPOINT_URL", "").strip()
    if env_endpoint and env_endpoint.rstrip("/") != target.endpoint_url.rstrip("/"):
        # localstack-client lets AWS_ENDPOINT_URL win over the host it is given.
        raise DeployError(f"AWS_ENDPOINT_URL={env_endpoint} disagrees with --endpoint-url {target.endpoint_url}")
    return Session(region_name=target.region, localstack_host=f"{url.hostname}:{url.port or 80}")


def _code(exc: BaseException) -> str:
    response = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


# --- chalice package ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Package:
    template: dict[str, Any]
    zip_path: Path

    @property
    def function(self) -> dict[str, Any]:
        return dict(self.template["Resources"]["APIHandler"]["Properties"])

    @property
    def api(self) -> dict[str, Any]:
        return dict(self.template["Resources"]["RestAPI"]["Properties"])


def app_name(project_dir: Path) -> str:
    config = json.loads((project_dir / ".chalice" / "config.json").read_text())
    return str(config["app_name"])


def chalice_package(project_dir: Path, stage: str, out_dir: Path, region: str) -> Package:
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable,
        "-c",
        "import sys; from chalice.cli import main; sys.exit(main())",
        "--project-dir",
        str(project_dir),
        "package",
        "--stage",
        stage,
        str(out_dir),
    ]
    env = {**os.environ, "AWS_DEFAULT_REGION": region}
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise DeployError(f"chalice package failed:\n{result.stdout}{result.stderr}")
    template = json.loads((out_dir / "sam.json").read_text())
    return Package(template=template, zip_path=out_dir / "deployment.zip")


def resolve_intrinsics(node: Any, variables: dict[str, str]) -> Any:
    """Replace the `Fn::Sub` values CloudFormation would have filled in (the integration URIs of
    the packaged swagger). Any other intrinsic function is an error rather than a silent leftover."""
    if isinstance(node, list):
        return [resolve_intrinsics(item, variables) for item in node]
    if not isinstance(node, dict):
        return node
    if len(node) == 1:
        ((key, value),) = node.items()
        if key == "Fn::Sub" and isinstance(value, str):

            def substitute(match: re.Match[str]) -> str:
                name = match.group(1)
                if name not in variables:
                    raise DeployError(f"no value for ${{{name}}} in the packaged swagger")
                return variables[name]

            return re.sub(r"\$\{([^}]+)\}", substitute, value)
        if key.startswith("Fn::") or key == "Ref":
            raise DeployError(f"unsupported CloudFormation intrinsic {key} in the packaged swagger")
    return {key: resolve_intrinsics(value, variables) for key, value in node.items()}


# --- deploy -------------------------------------------------------------------------------------


def deploy(target: Target) -> dict[str, Any]:
    if not (target.dist_dir / "index.html").is_file():
        raise DeployError(
            f"{target.dist_dir}/index.html not found: build the storefront first (make install, "
            "or npm --prefix frontend ci && npm --prefix frontend run build)"
        )
    session = make_session(target)
    account = session.client("sts").get_caller_identity()["Account"]
    names = Names(app_name(target.project_dir), target.stage, account, target.region)
    log(f"deploying {names.prefix} to {target.endpoint_url or 'AWS ' + target.region} (account {account})")

    log(f"packaging: chalice package --stage {target.stage}")
    package = chalice_package(target.project_dir, target.stage, target.package_dir, target.region)
    declared = dict(package.function.get("Environment", {}).get("Variables", {}))

    secret_arns = {}
    for spec in SECRET_SPECS:
        if spec.arn_variable in declared:
            secret_arns[spec.arn_variable] = ensure_secret(session.client("secretsmanager"), names, spec, target)
    environment = {**declared, **secret_arns, **target.env}
    missing = sorted(name for name, value in environment.items() if value == "")
    if missing:
        raise DeployError(
            f"the {target.stage} stage declares {', '.join(missing)} as deploy-time values: "
            "pass each with --env NAME=VALUE"
        )

    vpc = bool(target.subnet_ids)
    if vpc != bool(target.security_group_ids):
        raise DeployError("--subnet-ids and --security-group-ids go together")
    role_arn = ensure_role(session.client("iam"), names, list(secret_arns.values()), vpc=vpc)
    function_arn = ensure_function(session.client("lambda"), names, package, role_arn, environment, target)
    api_id, stage_name = ensure_api(session.client("apigateway"), names, package, function_arn)
    ensure_invoke_permission(session.client("lambda"), names, api_id)
    bucket = ensure_site(session.client("s3"), names, target.dist_dir)

    outputs = {
        "stage": target.stage,
        "api_id": api_id,
        "api_url": api_url(target, api_id, stage_name),
        "site_url": site_url(target, names.bucket),
        "function_arn": function_arn,
        "bucket": bucket,
        "secret_arns": secret_arns,
    }
    (target.package_dir / "outputs.json").write_text(json.dumps(outputs, indent=2) + "\n")
    return outputs


def ensure_secret(client: Any, names: Names, spec: SecretSpec, target: Target) -> str:
    """Create the secret, or update it when a new value is given. With no value given an
    existing secret is kept, so re-running a deploy never rotates anything by accident."""
    name = names.secret(spec)
    given = os.environ.get(spec.value_variable) or None
    try:
        described = client.describe_secret(SecretId=name)
    except Exception as exc:
        if _code(exc) != "ResourceNotFoundException":
            raise
        value = given or _first_value(spec, target)
        arn = str(client.create_secret(Name=name, SecretString=value, Tags=_tag_list(names.tags))["ARN"])
        log(f"secret {name}: created")
        return arn
    if described.get("DeletedDate"):
        client.restore_secret(SecretId=name)
        log(f"secret {name}: restored from scheduled deletion")
    if given is not None and client.get_secret_value(SecretId=name)["SecretString"] != given:
        client.put_secret_value(SecretId=name, SecretString=given)
        log(f"secret {name}: new value stored (running functions pick it up on their next read)")
    else:
        log(f"secret {name}: unchanged")
    return str(described["ARN"])


def _first_value(spec: SecretSpec, target: Target) -> str:
    if spec.generated:
        return secrets.token_urlsafe(32)
    if target.local and spec.local_default is not None:
        return spec.local_default
    raise DeployError(f"set {spec.value_variable} (the value from the Xsolla dashboard) to create the secret")


def _tag_list(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": key, "Value": value} for key, value in tags.items()]


def role_policy(names: Names, secret_arns: list[str]) -> dict[str, Any]:
    statements: list[dict[str, Any]] = [
        {
            "Effect": "Allow",
            "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": f"arn:aws:logs:{names.region}:{names.account}:log-group:/aws/lambda/{names.prefix}:*",
        }
    ]
    if secret_arns:
        statements.append({"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": secret_arns})
    return {"Version": "2012-10-17", "Statement": statements}


def ensure_role(iam: Any, names: Names, secret_arns: list[str], *, vpc: bool) -> str:
    trust = json.dumps(LAMBDA_TRUST_POLICY)
    try:
        role = iam.get_role(RoleName=names.prefix)["Role"]
        iam.update_assume_role_policy(RoleName=names.prefix, PolicyDocument=trust)
        log(f"role {names.prefix}: updated")
    except Exception as exc:
        if _code(exc) != "NoSuchEntity":
            raise
        role = iam.create_role(
            RoleName=names.prefix,
            AssumeRolePolicyDocument=trust,
            Description=f"{names.prefix} Lambda function",
            Tags=_tag_list(names.tags),
        )["Role"]
        log(f"role {names.prefix}: created")
    iam.put_role_policy(
        RoleName=names.prefix, PolicyName=ROLE_POLICY_NAME, PolicyDocument=json.dumps(role_policy(names, secret_arns))
    )
    if vpc:
        iam.attach_role_policy(RoleName=names.prefix, PolicyArn=VPC_ACCESS_POLICY)
    return str(role["Arn"])


def ensure_function(
    client: Any, names: Names, package: Package, role_arn: str, environment: dict[str, str], target: Target
) -> str:
    props = package.function
    zip_bytes = package.zip_path.read_bytes()
    config: dict[str, Any] = {
        "Role": role_arn,
        "Runtime": props["Runtime"],
        "Handler": props["Handler"],
        "MemorySize": props["MemorySize"],
        "Timeout": props["Timeout"],
        "Environment": {"Variables": environment},
    }
    if target.subnet_ids:
        config["VpcConfig"] = {"SubnetIds": target.subnet_ids, "SecurityGroupIds": target.security_group_ids}
    try:
        current = client.get_function(FunctionName=names.prefix)["Configuration"]
    except Exception as exc:
        if _code(exc) != "ResourceNotFoundException":
            raise
        created = _retry_while_role_propagates(
            lambda: client.create_function(
                FunctionName=names.prefix,
                Code={"ZipFile": zip_bytes},
                Architectures=props.get("Architectures", ["x86_64"]),
                Tags=names.tags,
                **config,
            )
        )
        _wait(client, "function_active_v2", names.prefix)
        arn = str(created["FunctionArn"])
        log(f"function {names.prefix}: created")
    else:
        sha256 = b64encode(hashlib.sha256(zip_bytes).digest()).decode()
        if current.get("CodeSha256") != sha256:
            client.update_function_code(FunctionName=names.prefix, ZipFile=zip_bytes)
            _wait(client, "function_updated_v2", names.prefix)
        _retry_while_role_propagates(lambda: client.update_function_configuration(FunctionName=names.prefix, **config))
        _wait(client, "function_updated_v2", names.prefix)
        arn = str(current["FunctionArn"])
        log(f"function {names.prefix}: updated")
    reserved = props.get("ReservedConcurrentExecutions")
    if reserved is None:
        client.delete_function_concurrency(FunctionName=names.prefix)
    else:
        client.put_function_concurrency(FunctionName=names.prefix, ReservedConcurrentExecutions=int(reserved))
    return arn


def _retry_while_role_propagates(call: Any) -> Any:
    # A new IAM role takes a few seconds before Lambda may assume it.
    for attempt in range(10):
        try:
            return call()
        except Exception as exc:
            if _code(exc) != "InvalidParameterValueException" or "role" not in str(exc).lower() or attempt == 9:
                raise
            time.sleep(3)


def _wait(client: Any, waiter: str, function_name: str) -> None:
    from botocore.exceptions import WaiterError

    try:
        client.get_waiter(waiter).wait(FunctionName=function_name, WaiterConfig={"Delay": 2, "MaxAttempts": 60})
    except WaiterError as exc:
        raise DeployError(
            f"function {function_name} did not become ready ({exc}). On LocalStack, Lambda needs "
            "the Docker socket mounted into the LocalStack container."
        ) from exc


def find_api(client: Any, name: str) -> str | None:
    for page in client.get_paginator("get_rest_apis").paginate():
        for api in page.get("items", []):
            if api.get("name") == name:
                return str(api["id"])
    return None


def swagger_for(names: Names, package: Package, function_arn: str) -> dict[str, Any]:
    variables = {
        "AWS::Partition": "aws",
        "AWS::Region": names.region,
        "AWS::AccountId": names.account,
        "AWS::URLSuffix": "amazonaws.com",
        "APIHandler.Arn": function_arn,
    }
    swagger = resolve_intrinsics(package.api["DefinitionBody"], variables)
    swagger["info"] = {**swagger.get("info", {}), "title": names.prefix}
    return dict(swagger)


def ensure_api(client: Any, names: Names, package: Package, function_arn: str) -> tuple[str, str]:
    body = json.dumps(swagger_for(names, package, function_arn)).encode()
    api_id = find_api(client, names.prefix)
    if api_id is None:
        endpoint_type = package.api.get("EndpointConfiguration", "EDGE")
        api_id = str(client.import_rest_api(body=body, parameters={"endpointConfigurationTypes": endpoint_type})["id"])
        log(f"api {names.prefix}: imported ({api_id})")
    else:
        client.put_rest_api(restApiId=api_id, mode="overwrite", body=body)
        log(f"api {names.prefix}: overwritten from the new swagger ({api_id})")
    stage_name = str(package.api.get("StageName", "api"))
    client.create_deployment(restApiId=api_id, stageName=stage_name, description="infra.deploy")
    return api_id, stage_name


def ensure_invoke_permission(client: Any, names: Names, api_id: str) -> None:
    statement_id = f"{names.prefix}-apigateway"
    try:
        client.remove_permission(FunctionName=names.prefix, StatementId=statement_id)
    except Exception as exc:
        if _code(exc) != "ResourceNotFoundException":
            raise
    client.add_permission(
        FunctionName=names.prefix,
        StatementId=statement_id,
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
        SourceArn=f"arn:aws:execute-api:{names.region}:{names.account}:{api_id}/*",
    )


def content_type(key: str) -> str:
    suffix = Path(key).suffix.lower()
    if suffix in CONTENT_TYPES:
        return CONTENT_TYPES[suffix]
    guessed, _ = mimetypes.guess_type(key)
    return guessed or "application/octet-stream"


def cache_control(key: str) -> str:
    return IMMUTABLE if HASHED_ASSET.match(key) else REVALIDATE


def site_files(dist_dir: Path) -> list[tuple[str, Path]]:
    """(key, path) for every built file, index.html last: a visitor must never get an index.html
    that names assets not uploaded yet."""
    files = sorted((path.relative_to(dist_dir).as_posix(), path) for path in dist_dir.rglob("*") if path.is_file())
    return sorted(files, key=lambda pair: pair[0] == "index.html")


def ensure_site(s3: Any, names: Names, dist_dir: Path) -> str:
    bucket = names.bucket
    try:
        s3.head_bucket(Bucket=bucket)
    except Exception as exc:
        if _code(exc) not in ("404", "NoSuchBucket", "NotFound"):
            raise DeployError(f"bucket {bucket} exists but is not usable by this account ({_code(exc)})") from exc
        if names.region == "us-east-1":
            s3.create_bucket(Bucket=bucket)
        else:
            s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": names.region})
        log(f"bucket {bucket}: created")
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": _tag_list(names.tags)})
    s3.put_bucket_website(
        Bucket=bucket,
        WebsiteConfiguration={"IndexDocument": {"Suffix": "index.html"}, "ErrorDocument": {"Key": "index.html"}},
    )
    # A website endpoint serves anonymous readers only through a bucket policy; ACLs stay blocked.
    s3.put_public_access_block(
        Bucket=bucket,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": False,
            "RestrictPublicBuckets": False,
        },
    )
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "PublicRead",
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{bucket}/*",
            }
        ],
    }
    try:
        s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))
    except Exception as exc:
        if _code(exc) != "AccessDenied":
            raise
        raise DeployError(
            f"the account blocks public bucket policies, so {bucket} cannot be a public website; "
            "serve it through CloudFront with origin access control instead (infra/README.md)"
        ) from exc
    uploaded = 0
    files = site_files(dist_dir)
    for key, path in files:
        body = path.read_bytes()
        wanted = {"ContentType": content_type(key), "CacheControl": cache_control(key)}
        if _unchanged(s3, bucket, key, body, wanted):
            continue
        s3.put_object(Bucket=bucket, Key=key, Body=body, **wanted)
        uploaded += 1
    log(f"bucket {bucket}: {uploaded} of {len(files)} files uploaded, the rest unchanged")
    return bucket


def _unchanged(s3: Any, bucket: str, key: str, body: bytes, wanted: dict[str, str]) -> bool:
    try:
        head = s3.head_object(Bucket=bucket, Key=key)
    except Exception as exc:
        if _code(exc) in ("404", "NoSuchKey", "NotFound"):
            return False
        raise
    return (
        head.get("ETag", "").strip('"') == hashlib.md5(body).hexdigest()
        and head.get("ContentType") == wanted["ContentType"]
        and head.get("CacheControl") == wanted["CacheControl"]
    )


def api_url(target: Target, api_id: str, stage_name: str) -> str:
    if target.endpoint_url is None:
        return f"https://{api_id}.execute-api.{target.region}.amazonaws.com/{stage_name}/"
    url = urlparse(target.endpoint_url)
    return f"{url.scheme}://{api_id}.execute-api.localhost.localstack.cloud:{url.port or 80}/{stage_name}/"


def site_url(target: Target, bucket: str) -> str:
    if target.endpoint_url is None:
        separator = "-" if target.region in DASH_WEBSITE_REGIONS else "."
        return f"http://{bucket}.s3-website{separator}{target.region}.amazonaws.com/"
    url = urlparse(target.endpoint_url)
    return f"{url.scheme}://{bucket}.s3-website.localhost.localstack.cloud:{url.port or 80}/"


# --- destroy ------------------------------------------------------------------------------------


def destroy(target: Target) -> list[str]:
    """Remove everything deploy() creates for the stage; what is already gone is skipped."""
    session = make_session(target)
    account = session.client("sts").get_caller_identity()["Account"]
    names = Names(app_name(target.project_dir), target.stage, account, target.region)
    removed: list[str] = []

    apigw = session.client("apigateway")
    api_id = find_api(apigw, names.prefix)
    if api_id is not None:
        apigw.delete_rest_api(restApiId=api_id)
        removed.append(f"api {names.prefix} ({api_id})")

    lam = session.client("lambda")
    if _ignore_missing(lambda: lam.delete_function(FunctionName=names.prefix), "ResourceNotFoundException"):
        removed.append(f"function {names.prefix}")

    iam = session.client("iam")
    if _ignore_missing(lambda: iam.get_role(RoleName=names.prefix), "NoSuchEntity"):
        for policy_name in iam.list_role_policies(RoleName=names.prefix)["PolicyNames"]:
            iam.delete_role_policy(RoleName=names.prefix, PolicyName=policy_name)
        for attached in iam.list_attached_role_policies(RoleName=names.prefix)["AttachedPolicies"]:
            iam.detach_role_policy(RoleName=names.prefix, PolicyArn=attached["PolicyArn"])
        iam.delete_role(RoleName=names.prefix)
        removed.append(f"role {names.prefix}")

    s3 = session.client("s3")
    if _ignore_missing(lambda: s3.head_bucket(Bucket=names.bucket), "404", "NoSuchBucket", "NotFound"):
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=names.bucket):
            doomed = [
                {"Key": entry["Key"], "VersionId": entry["VersionId"]}
                for entry in page.get("Versions", []) + page.get("DeleteMarkers", [])
            ]
            if doomed:
                s3.delete_objects(Bucket=names.bucket, Delete={"Objects": doomed, "Quiet": True})
        s3.delete_bucket(Bucket=names.bucket)
        removed.append(f"bucket {names.bucket}")

    sm = session.client("secretsmanager")
    for spec in SECRET_SPECS:
        name = names.secret(spec)
        # A forced delete reports success for a secret that does not exist, so look first.
        try:
            if sm.describe_secret(SecretId=name).get("DeletedDate"):
                continue
        except Exception as exc:
            if _code(exc) == "ResourceNotFoundException":
                continue
            raise
        # On AWS keep the usual recovery window, so a mistaken destroy can be undone.
        options = {"ForceDeleteWithoutRecovery": True} if target.local else {"RecoveryWindowInDays": 7}
        sm.delete_secret(SecretId=name, **options)
        removed.append(f"secret {name}")
    return removed


def _ignore_missing(call: Any, *codes: str) -> bool:
    """True when the call succeeded, False when the resource was not there."""
    try:
        call()
    except Exception as exc:
        if _code(exc) in codes:
            return False
        raise
    return True


# --- command line -------------------------------------------------------------------------------


def _key_value(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    return name, value


def _csv(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def parse_args(argv: list[str] | None = None) -> tuple[argparse.Namespace, Target]:
    parser = argparse.ArgumentParser(
        prog="python -m infra.deploy",
        description="Deploy the store (secrets, Lambda + API Gateway, S3 storefront) to LocalStack or AWS.",
    )
    parser.add_argument(
        "--stage", default="localstack", help="Chalice stage to package and deploy (default: localstack)"
    )
    parser.add_argument(
        "--endpoint-url",
        default=None,
        help=f"emulator endpoint; default {LOCALSTACK_ENDPOINT} for the localstack stage, AWS itself for other stages",
    )
    parser.add_argument("--aws", action="store_true", help="target real AWS even for the localstack stage")
    parser.add_argument(
        "--region",
        default=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or DEFAULT_REGION,
        help="AWS region (default: AWS_REGION, AWS_DEFAULT_REGION or us-east-1)",
    )
    parser.add_argument(
        "--env",
        action="append",
        type=_key_value,
        default=[],
        metavar="NAME=VALUE",
        help="a deploy-time environment value for the function, e.g. DATABASE_URL (repeatable)",
    )
    parser.add_argument("--dist", type=Path, default=PROJECT_DIR / "frontend" / "dist", help="built storefront")
    parser.add_argument("--project-dir", type=Path, default=PROJECT_DIR, help="the Chalice project")
    parser.add_argument("--out-dir", type=Path, default=None, help="package output (default infra/out/<stage>)")
    parser.add_argument("--subnet-ids", type=_csv, default=[], help="private subnets for the function (AWS)")
    parser.add_argument("--security-group-ids", type=_csv, default=[], help="security groups for the function (AWS)")
    parser.add_argument("--destroy", action="store_true", help="remove everything this command creates")
    parser.add_argument("--yes", action="store_true", help="confirm --destroy against real AWS")
    args = parser.parse_args(argv)
    if args.aws and args.endpoint_url:
        parser.error("--aws and --endpoint-url exclude each other")
    endpoint = args.endpoint_url
    if endpoint is None and not args.aws and args.stage == "localstack":
        endpoint = LOCALSTACK_ENDPOINT
    target = Target(
        stage=args.stage,
        endpoint_url=endpoint or None,
        region=args.region,
        project_dir=args.project_dir.resolve(),
        dist_dir=args.dist.resolve(),
        out_dir=args.out_dir.resolve() if args.out_dir else None,
        env=dict(args.env),
        subnet_ids=args.subnet_ids,
        security_group_ids=args.security_group_ids,
    )
    return args, target


def main(argv: list[str] | None = None) -> int:
    args, target = parse_args(argv)
    try:
        if args.destroy:
            if not target.local and not args.yes:
                raise DeployError(f"--destroy against AWS removes the {target.stage} stage: add --yes")
            removed = destroy(target)
            for line in removed:
                print(f"removed {line}")
            if not removed:
                print("nothing to remove")
            return 0
        outputs = deploy(target)
    except DeployError as exc:
        print(f"deploy: error: {exc}", file=sys.stderr)
        return 1
    print(f"api:        {outputs['api_url']}")
    print(f"storefront: {outputs['site_url']}")
    log("the storefront calls /api on its own origin: serve both through CloudFront (infra/README.md)")
    print(f"function:   {outputs['function_arn']}")
    for variable, arn in outputs["secret_arns"].items():
        print(f"secret:     {variable}={arn}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
