"""Which database errors are a passing fault (answer 5xx/503, Xsolla retries) and which are ours
to fix. pg8000 raises one class for every server error, so the SQLSTATE decides."""

import pg8000.dbapi
import pytest
from sqlalchemy import exc

from chalicelib.db import is_unavailable, sqlstate


def server_error(code: str, wrapper: type[exc.DBAPIError] = exc.DatabaseError) -> exc.DBAPIError:
    orig = pg8000.dbapi.DatabaseError({"S": "ERROR", "C": code, "M": "message from the server"})
    return wrapper("SELECT 1", None, orig)


@pytest.mark.parametrize(
    "code",
    ["57014", "55P03", "40P01", "40001", "08006", "57P01", "53300"],
    ids=["statement-timeout", "lock-timeout", "deadlock", "serialization", "connection", "shutdown", "too-many"],
)
def test_transient_server_errors_are_unavailable(code):
    for wrapper in (exc.DatabaseError, exc.ProgrammingError):
        error = server_error(code, wrapper)
        assert sqlstate(error) == code
        assert is_unavailable(error)


@pytest.mark.parametrize("code", ["42703", "42P01", "23505", "22003", "P0001"])
def test_our_own_faults_are_not(code):
    for wrapper in (exc.DatabaseError, exc.ProgrammingError):
        assert not is_unavailable(server_error(code, wrapper))


def test_errors_without_a_server_answer_fall_back_to_their_class():
    network = exc.OperationalError("SELECT 1", None, pg8000.dbapi.InterfaceError("network error"))
    assert sqlstate(network) is None and is_unavailable(network)
    assert is_unavailable(TimeoutError()) and is_unavailable(ConnectionResetError())
    assert not is_unavailable(exc.IntegrityError("INSERT", None, Exception("UNIQUE constraint failed")))
    assert not is_unavailable(ValueError("a bug"))
