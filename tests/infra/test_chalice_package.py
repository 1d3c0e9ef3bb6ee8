"""`chalice package --stage prod` on the real app: the SAM template AWS would get.

The project is copied with an empty requirements.txt, because packaging the real one downloads
Linux wheels from PyPI; what Chalice does with app.py, chalicelib/ and the stage config is the same.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(not (ROOT / "app.py").exists(), reason="app.py is not written yet")


@pytest.fixture(scope="module")
def packaged(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = tmp_path_factory.mktemp("project")
    shutil.copy(ROOT / "app.py", project / "app.py")
    shutil.copytree(ROOT / "chalicelib", project / "chalicelib", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / ".chalice", project / ".chalice", ignore=shutil.ignore_patterns("deployments", "venv"))
    (project / "requirements.txt").write_text("")
    out = project / "out"
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("AWS_") or key in ("AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE")
    }
    env.update(
        AWS_DEFAULT_REGION="us-east-1", AWS_CONFIG_FILE="/nonexistent", AWS_SHARED_CREDENTIALS_FILE="/nonexistent"
    )
    subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from chalice.cli import main; sys.exit(main())",
            "--project-dir",
            str(project),
            "package",
            "--stage",
            "prod",
            str(out),
        ],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return out


@pytest.fixture(scope="module")
def template(packaged: Path) -> dict:
    return json.loads((packaged / "sam.json").read_text())


@pytest.fixture(scope="module")
def config() -> dict:
    return json.loads((ROOT / ".chalice" / "config.json").read_text())


def test_template_is_sam_with_one_function(template):
    assert template["Transform"] == "AWS::Serverless-2016-10-31"
    functions = [r for r in template["Resources"].values() if r["Type"] == "AWS::Serverless::Function"]
    assert len(functions) == 1
    assert functions[0]["Properties"]["Handler"] == "app.app"


def test_every_route_of_the_app_is_in_the_swagger(template):
    import app

    swagger = template["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]
    packaged = {path: set(methods) for path, methods in swagger["paths"].items()}
    registered = {path: {m.lower() for m in entries} for path, entries in app.app.routes.items()}
    assert packaged == registered
    for path, methods in swagger["paths"].items():
        for method in packaged[path]:
            uri = methods[method]["x-amazon-apigateway-integration"]["uri"]["Fn::Sub"]
            assert "${APIHandler.Arn}" in uri


def test_function_sizing_fits_the_webhook_budget(template, config):
    props = template["Resources"]["APIHandler"]["Properties"]
    assert props["MemorySize"] == config["lambda_memory_size"]
    assert props["Timeout"] == config["lambda_timeout"]
    assert 3 < props["Timeout"] <= 10
    assert props["ReservedConcurrentExecutions"] == config["stages"]["prod"]["reserved_concurrency"]


def test_prod_environment_declares_names_not_secrets(template):
    variables = template["Resources"]["APIHandler"]["Properties"]["Environment"]["Variables"]
    assert variables["STAGE"] == "prod"
    for deploy_time in ("DATABASE_URL", "REDIS_URL", "XSOLLA_WEBHOOK_SECRET_ARN", "SESSION_SECRET_ARN"):
        assert variables[deploy_time] == ""
    for secret in ("XSOLLA_WEBHOOK_SECRET", "SESSION_SECRET", "XSOLLA_API_KEY"):
        assert secret not in variables


def test_zip_holds_the_app_and_chalicelib_only(packaged):
    names = zipfile.ZipFile(packaged / "deployment.zip").namelist()
    assert "app.py" in names
    assert "chalicelib/aws_secrets.py" in names
    assert not [n for n in names if n.startswith(("tests/", "infra/", "frontend/", ".chalice/"))]
