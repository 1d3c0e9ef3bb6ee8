"""infra.deploy against a moto server standing in for LocalStack.

moto can hold a Lambda function but not run it, so nothing here invokes the API. moto's API
Gateway imports only OpenAPI 3 documents while Chalice packages Swagger 2.0 (which AWS and
LocalStack import), so `swagger_import` translates the version header on moto's side; everything
else about the API (resources, methods, integration URIs, stage) is what moto built from our call.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import boto3
import pytest

from chalicelib.config import DEV_WEBHOOK_SECRET
from infra import deploy

ROOT = Path(__file__).resolve().parents[2]
APP = """
from chalice import Chalice

app = Chalice(app_name="game-item-store")


@app.route("/api/items")
def items():
    return {"data": []}


@app.route("/api/items/{item_id}")
def item(item_id):
    return {}


@app.route("/api/webhooks/payment", methods=["POST"])
def webhook():
    return {}
"""
DIST = {
    "index.html": b"<!doctype html><script type=module src=/assets/index-AbCd1234.js></script>",
    "assets/index-AbCd1234.js": b"console.log('store')",
    "assets/index-Zz_9-8yX.css": b"body{}",
    "assets/logo.png": b"\x89PNG\r\n\x1a\n",
    "favicon.ico": b"\x00\x00\x01\x00",
}
WEBHOOK = "game-item-store/localstack/xsolla-webhook-secret"
SESSION = "game-item-store/localstack/session-secret"
PREFIX = "game-item-store-localstack"


@pytest.fixture
def swagger_import(monkeypatch: pytest.MonkeyPatch) -> None:
    from moto.apigateway.models import APIGatewayBackend

    original_import, original_put = APIGatewayBackend.import_rest_api, APIGatewayBackend.put_rest_api

    def as_openapi3(doc):
        doc = {key: value for key, value in doc.items() if key != "swagger"}
        return {**doc, "openapi": "3.0.1", "info": {"description": "", **doc["info"]}}

    monkeypatch.setattr(
        APIGatewayBackend,
        "import_rest_api",
        lambda self, doc, *a, **k: original_import(self, as_openapi3(doc), *a, **k),
    )
    monkeypatch.setattr(
        APIGatewayBackend,
        "put_rest_api",
        lambda self, api, doc, *a, **k: original_put(self, api, as_openapi3(doc), *a, **k),
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A small Chalice app with the project's real .chalice/config.json (and no requirements,
    so packaging needs no network)."""
    root = tmp_path / "project"
    (root / ".chalice").mkdir(parents=True)
    shutil.copy(ROOT / ".chalice" / "config.json", root / ".chalice" / "config.json")
    (root / "app.py").write_text(APP)
    (root / "requirements.txt").write_text("")
    return root


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    root = tmp_path / "dist"
    for key, body in DIST.items():
        (root / key).parent.mkdir(parents=True, exist_ok=True)
        (root / key).write_bytes(body)
    return root


@pytest.fixture
def run(aws: str, swagger_import: None, project: Path, dist: Path, tmp_path: Path):
    def run(*extra: str) -> int:
        args = [
            "--endpoint-url",
            aws,
            "--project-dir",
            str(project),
            "--dist",
            str(dist),
            "--out-dir",
            str(tmp_path / "out"),
            *extra,
        ]
        return deploy.main(args)

    return run


@pytest.fixture
def clients(aws: str):
    def client(service: str):
        return boto3.client(service, endpoint_url=aws, region_name="us-east-1")

    return client


def secret_versions(sm) -> dict[str, list[tuple[str, list[str]]]]:
    return {
        name: sorted(
            (v["VersionId"], v["VersionStages"]) for v in sm.list_secret_version_ids(SecretId=name)["Versions"]
        )
        for name in (WEBHOOK, SESSION)
    }


def apis_named(apigw, name: str) -> list[dict]:
    return [api for api in apigw.get_rest_apis()["items"] if api["name"] == name]


def test_deploy_stores_the_secrets(run, clients):
    assert run() == 0

    sm = clients("secretsmanager")
    assert sm.get_secret_value(SecretId=WEBHOOK)["SecretString"] == DEV_WEBHOOK_SECRET
    assert len(sm.get_secret_value(SecretId=SESSION)["SecretString"]) >= 32


def test_deploy_uses_the_webhook_secret_from_the_environment(run, clients, monkeypatch):
    monkeypatch.setenv("XSOLLA_WEBHOOK_SECRET", "from-the-dashboard")

    assert run() == 0

    assert clients("secretsmanager").get_secret_value(SecretId=WEBHOOK)["SecretString"] == "from-the-dashboard"


def test_deploy_creates_the_function_from_the_stage_config(run, clients):
    assert run() == 0

    sm, lam = clients("secretsmanager"), clients("lambda")
    function = lam.get_function(FunctionName=PREFIX)["Configuration"]
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    assert function["Handler"] == "app.app"
    assert function["MemorySize"] == config["lambda_memory_size"]
    assert function["Timeout"] == config["lambda_timeout"]
    assert function["Role"].endswith(f":role/{PREFIX}")
    variables = function["Environment"]["Variables"]
    assert variables["STAGE"] == "localstack"
    assert variables["XSOLLA_WEBHOOK_SECRET_ARN"] == sm.describe_secret(SecretId=WEBHOOK)["ARN"]
    assert variables["SESSION_SECRET_ARN"] == sm.describe_secret(SecretId=SESSION)["ARN"]
    assert all(value != "" for value in variables.values())


def test_role_may_read_only_the_stage_secrets(run, clients):
    assert run() == 0

    sm, iam = clients("secretsmanager"), clients("iam")
    policy = iam.get_role_policy(RoleName=PREFIX, PolicyName=deploy.ROLE_POLICY_NAME)["PolicyDocument"]
    if isinstance(policy, str):
        policy = json.loads(policy)
    reads = [s for s in policy["Statement"] if s["Action"] == "secretsmanager:GetSecretValue"]
    assert sorted(reads[0]["Resource"]) == sorted(
        sm.describe_secret(SecretId=name)["ARN"] for name in (WEBHOOK, SESSION)
    )


def test_api_routes_every_path_to_the_function(run, clients):
    assert run() == 0

    apigw, lam = clients("apigateway"), clients("lambda")
    (api,) = apis_named(apigw, PREFIX)
    function_arn = lam.get_function(FunctionName=PREFIX)["Configuration"]["FunctionArn"]
    methods = {
        (resource["path"], method)
        for resource in apigw.get_resources(restApiId=api["id"])["items"]
        for method in resource.get("resourceMethods", {})
    }
    assert methods == {("/api/items", "GET"), ("/api/items/{item_id}", "GET"), ("/api/webhooks/payment", "POST")}
    for path, method in methods:
        resource = next(r for r in apigw.get_resources(restApiId=api["id"])["items"] if r["path"] == path)
        integration = apigw.get_integration(restApiId=api["id"], resourceId=resource["id"], httpMethod=method)
        assert integration["type"].upper() == "AWS_PROXY"
        assert integration["uri"] == (
            f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{function_arn}/invocations"
        )
    assert [stage["stageName"] for stage in apigw.get_stages(restApiId=api["id"])["item"]] == ["api"]
    (statement,) = json.loads(lam.get_policy(FunctionName=PREFIX)["Policy"])["Statement"]
    assert statement["Principal"] == {"Service": "apigateway.amazonaws.com"}
    assert statement["Condition"]["ArnLike"]["AWS:SourceArn"].endswith(f":{api['id']}/*")


def test_storefront_bucket_is_a_public_website(run, clients):
    assert run() == 0

    s3 = clients("s3")
    bucket = f"{PREFIX}-site-123456789012-us-east-1"
    website = s3.get_bucket_website(Bucket=bucket)
    assert website["IndexDocument"] == {"Suffix": "index.html"}
    assert website["ErrorDocument"] == {"Key": "index.html"}
    (statement,) = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])["Statement"]
    assert (statement["Effect"], statement["Principal"], statement["Action"]) == ("Allow", "*", "s3:GetObject")
    assert statement["Resource"] == f"arn:aws:s3:::{bucket}/*"


@pytest.mark.parametrize(
    ("key", "content_type", "cache_control"),
    [
        ("index.html", "text/html; charset=utf-8", "no-cache"),
        ("assets/index-AbCd1234.js", "text/javascript; charset=utf-8", "public, max-age=31536000, immutable"),
        ("assets/index-Zz_9-8yX.css", "text/css; charset=utf-8", "public, max-age=31536000, immutable"),
        ("assets/logo.png", "image/png", "no-cache"),
        ("favicon.ico", "image/x-icon", "no-cache"),
    ],
)
def test_storefront_files_carry_type_and_cache_policy(run, clients, key, content_type, cache_control):
    assert run() == 0

    obj = clients("s3").get_object(Bucket=f"{PREFIX}-site-123456789012-us-east-1", Key=key)
    assert obj["Body"].read() == DIST[key]
    assert obj["ContentType"] == content_type
    assert obj["CacheControl"] == cache_control


def test_second_run_changes_nothing_it_does_not_have_to(run, clients, dist, capsys):
    assert run() == 0
    sm, lam, apigw, s3 = clients("secretsmanager"), clients("lambda"), clients("apigateway"), clients("s3")
    bucket = f"{PREFIX}-site-123456789012-us-east-1"
    before = {
        "api": apis_named(apigw, PREFIX),
        "function": lam.get_function(FunctionName=PREFIX)["Configuration"]["FunctionArn"],
        "secrets": secret_versions(sm),
        "session": sm.get_secret_value(SecretId=SESSION)["SecretString"],
    }
    # With versioning on, every PutObject of the second run leaves a version behind.
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    (dist / "favicon.ico").write_bytes(b"changed")
    capsys.readouterr()

    assert run() == 0

    assert apis_named(apigw, PREFIX) == before["api"]
    assert lam.get_function(FunctionName=PREFIX)["Configuration"]["FunctionArn"] == before["function"]
    assert secret_versions(sm) == before["secrets"]
    assert sm.get_secret_value(SecretId=SESSION)["SecretString"] == before["session"]
    versioned = [v["Key"] for v in s3.list_object_versions(Bucket=bucket)["Versions"] if v["VersionId"] != "null"]
    assert versioned == ["favicon.ico"]
    assert "1 of 5 files uploaded" in capsys.readouterr().err


def test_destroy_removes_everything(run, clients, capsys):
    assert run() == 0
    capsys.readouterr()

    assert run("--destroy") == 0

    assert apis_named(clients("apigateway"), PREFIX) == []
    assert clients("lambda").list_functions()["Functions"] == []
    assert [r["RoleName"] for r in clients("iam").list_roles()["Roles"]] == []
    assert clients("s3").list_buckets()["Buckets"] == []
    assert clients("secretsmanager").list_secrets()["SecretList"] == []
    removed = capsys.readouterr().out
    assert removed.count("removed ") == 6

    assert run("--destroy") == 0
    assert capsys.readouterr().out.strip() == "nothing to remove"


def test_redeploy_after_destroy_starts_fresh(run, clients):
    assert run() == 0
    assert run("--destroy") == 0

    assert run() == 0

    assert len(apis_named(clients("apigateway"), PREFIX)) == 1


def test_prod_refuses_to_deploy_without_its_deploy_time_values(run, clients, capsys):
    assert run("--stage", "prod") == 1

    error = capsys.readouterr().err
    assert "DATABASE_URL" in error and "REDIS_URL" in error
    assert clients("lambda").list_functions()["Functions"] == []


def test_prod_gets_its_values_and_reserved_concurrency(run, clients):
    database = "postgresql+pg8000://store@proxy.example:5432/store"

    assert (
        run("--stage", "prod", "--env", f"DATABASE_URL={database}", "--env", "REDIS_URL=rediss://cache.example:6379/0")
        == 0
    )

    lam = clients("lambda")
    function = lam.get_function(FunctionName="game-item-store-prod")
    assert function["Configuration"]["Environment"]["Variables"]["DATABASE_URL"] == database
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    assert function["Concurrency"]["ReservedConcurrentExecutions"] == config["stages"]["prod"]["reserved_concurrency"]


def test_missing_build_is_reported_before_anything_is_created(run, clients, dist, capsys):
    (dist / "index.html").unlink()

    assert run() == 1

    assert "build the storefront first" in capsys.readouterr().err
    assert clients("secretsmanager").list_secrets()["SecretList"] == []


def test_help_names_the_options(capsys):
    with pytest.raises(SystemExit) as exit_:
        deploy.main(["--help"])

    assert exit_.value.code == 0
    usage = capsys.readouterr().out
    for option in ("--destroy", "--endpoint-url", "--stage", "--env"):
        assert option in usage


def test_localstack_is_the_default_target_and_prod_means_aws():
    _, local = deploy.parse_args([])
    _, prod = deploy.parse_args(["--stage", "prod"])
    _, forced = deploy.parse_args(["--aws"])

    assert (local.stage, local.endpoint_url) == ("localstack", "http://localhost:4566")
    assert prod.endpoint_url is None
    assert forced.endpoint_url is None


def test_intrinsics_are_filled_in_and_unknown_ones_refused():
    variables = {"AWS::Region": "eu-west-1", "APIHandler.Arn": "arn:fn"}
    node = {"paths": [{"uri": {"Fn::Sub": "arn:${AWS::Region}:${APIHandler.Arn}"}}]}

    assert deploy.resolve_intrinsics(node, variables) == {"paths": [{"uri": "arn:eu-west-1:arn:fn"}]}
    with pytest.raises(deploy.DeployError, match="Fn::GetAtt"):
        deploy.resolve_intrinsics({"uri": {"Fn::GetAtt": ["APIHandler", "Arn"]}}, variables)
    with pytest.raises(deploy.DeployError, match="Unknown"):
        deploy.resolve_intrinsics({"Fn::Sub": "${Unknown}"}, variables)


def test_index_html_is_uploaded_last(dist):
    keys = [key for key, _ in deploy.site_files(dist)]

    assert keys[-1] == "index.html"
    assert sorted(keys) == sorted(DIST)


def test_on_aws_the_webhook_secret_must_be_given(aws, clients):
    names = deploy.Names("game-item-store", "prod", "123456789012", "us-east-1")
    on_aws = deploy.Target(stage="prod", endpoint_url=None)
    webhook = deploy.SECRET_SPECS[0]

    with pytest.raises(deploy.DeployError, match="XSOLLA_WEBHOOK_SECRET"):
        deploy.ensure_secret(clients("secretsmanager"), names, webhook, on_aws)
    assert clients("secretsmanager").list_secrets()["SecretList"] == []


def test_a_stage_that_declares_the_api_key_arn_gets_that_secret(run, clients, project, monkeypatch):
    config_path = project / ".chalice" / "config.json"
    config = json.loads(config_path.read_text())
    config["stages"]["localstack"]["environment_variables"]["XSOLLA_API_KEY_ARN"] = ""
    config_path.write_text(json.dumps(config))
    monkeypatch.setenv("XSOLLA_API_KEY", "key-from-publisher-account")

    assert run() == 0

    sm = clients("secretsmanager")
    name = "game-item-store/localstack/xsolla-api-key"
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "key-from-publisher-account"
    variables = clients("lambda").get_function(FunctionName=PREFIX)["Configuration"]["Environment"]["Variables"]
    assert variables["XSOLLA_API_KEY_ARN"] == sm.describe_secret(SecretId=name)["ARN"]


def test_secrets_the_stage_does_not_declare_are_not_created(run, clients):
    assert run() == 0

    names = {s["Name"] for s in clients("secretsmanager").list_secrets()["SecretList"]}
    assert names == {WEBHOOK, SESSION}
