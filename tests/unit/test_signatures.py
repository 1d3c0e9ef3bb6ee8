"""signatures.sign()/verify(): known answers and one test per failure mode."""

import base64
import hashlib
import json

import pytest

from chalicelib.signatures import HMAC_SHA256, XSOLLA, SignatureError, sign, verify

SECRET = "PROJECT_SECRET_KEY"
BODY = b'{"notification_type": "order_paid"}'
SW_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SW_ID, SW_TS, SW_BODY = "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, b'{"test": 2432232314}'
SW_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def lower(headers: dict[str, str]) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}


def test_xsolla_known_answer():
    assert sign(BODY, SECRET) == {"Authorization": "Signature 7a26ac37af1c6225a34c3657c4b56e7c16cfe651"}


@pytest.mark.parametrize(
    ("body", "digest"),
    [
        (b"", "78143a5ac4b892a68ce8b0b8b49e26667db0fa07"),
        (b'{"notification_type": "payment"}', "89404631c86da9f508954da7b50799199a6b1d3a"),
        (b'{"notification_type": "user_validation"}', "aa484089c3488897042406bb6b5666d585e10620"),
        (
            '{"notification_type":"user_validation","user":{"id":"42","name":"Jörg"}}'.encode(),
            "5b5234b1a3274994b4a42aed37c780287a584286",
        ),
    ],
)
def test_xsolla_more_known_answers(body, digest):
    assert sign(body, SECRET)["Authorization"] == f"Signature {digest}"
    assert verify(body, {"authorization": f"Signature {digest}"}, SECRET) == XSOLLA


def test_xsolla_is_sha1_of_body_then_secret_not_hmac():
    expected = hashlib.sha1(BODY + SECRET.encode()).hexdigest()
    assert sign(BODY, SECRET)["Authorization"].split()[1] == expected


def test_standard_webhooks_known_answer():
    headers = sign(SW_BODY, SW_SECRET, HMAC_SHA256, msg_id=SW_ID, timestamp=SW_TS)
    assert headers["webhook-signature"] == SW_SIGNATURE
    assert verify(SW_BODY, lower(headers), SW_SECRET, now=SW_TS + 10) == HMAC_SHA256


def test_standard_webhooks_plain_secret_is_its_utf8_bytes():
    headers = sign(b"{}", "plain-secret", HMAC_SHA256, msg_id="m1", timestamp=100)
    digest = base64.b64decode(headers["webhook-signature"][3:])
    import hmac

    assert digest == hmac.new(b"plain-secret", b"m1.100.{}", hashlib.sha256).digest()


def test_missing_header():
    with pytest.raises(SignatureError):
        verify(BODY, {}, SECRET)


@pytest.mark.parametrize(
    "value",
    [
        "7a26ac37af1c6225a34c3657c4b56e7c16cfe651",
        "signature 7a26ac37af1c6225a34c3657c4b56e7c16cfe651",
        "Signature 7A26AC37AF1C6225A34C3657C4B56E7C16CFE651",
        "Signature 7a26ac37af1c6225a34c3657c4b56e7c16cfe65",
        "Signature 7a26ac37af1c6225a34c3657c4b56e7c16cfe651 ",
        "Bearer abc",
        "Signature ٧a26ac37af1c6225a34c3657c4b56e7c16cfe651",
    ],
)
def test_malformed_header(value):
    with pytest.raises(SignatureError):
        verify(BODY, {"authorization": value}, SECRET)


def test_wrong_secret():
    with pytest.raises(SignatureError):
        verify(BODY, lower(sign(BODY, "another-secret")), SECRET)


def test_tampered_byte():
    headers = lower(sign(BODY, SECRET))
    with pytest.raises(SignatureError):
        verify(BODY.replace(b"paid", b"pain"), headers, SECRET)


def test_near_miss_signature_from_xsolla_sdk():
    with pytest.raises(SignatureError):
        verify(b"", {"authorization": "Signature 78143a5ac4b892a68ce8b0b8b49e26667db0fa00"}, SECRET)


def test_odd_spacing_and_non_ascii_verify_but_reserialised_json_does_not():
    body = '{ "notification_type" :"order_paid",\n  "user": {"name": "Jörg ✓"} }'.encode()
    headers = lower(sign(body, SECRET))
    assert verify(body, headers, SECRET) == XSOLLA
    reserialised = json.dumps(json.loads(body)).encode()
    with pytest.raises(SignatureError):
        verify(reserialised, headers, SECRET)


def test_stale_and_future_timestamps_are_rejected():
    headers = lower(sign(SW_BODY, SW_SECRET, HMAC_SHA256, msg_id=SW_ID, timestamp=SW_TS))
    assert verify(SW_BODY, headers, SW_SECRET, now=SW_TS + 300) == HMAC_SHA256
    with pytest.raises(SignatureError):
        verify(SW_BODY, headers, SW_SECRET, now=SW_TS + 301)
    with pytest.raises(SignatureError):
        verify(SW_BODY, headers, SW_SECRET, now=SW_TS - 301)


def test_near_miss_standard_signature():
    headers = {
        "webhook-id": SW_ID,
        "webhook-timestamp": str(SW_TS),
        "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OA=",
    }
    with pytest.raises(SignatureError):
        verify(SW_BODY, headers, SW_SECRET, now=SW_TS)


def test_several_signatures_allow_secret_rotation():
    old = sign(SW_BODY, "old-secret", HMAC_SHA256, msg_id=SW_ID, timestamp=SW_TS)
    new = sign(SW_BODY, "new-secret", HMAC_SHA256, msg_id=SW_ID, timestamp=SW_TS)
    headers = lower({**new, "webhook-signature": f"{old['webhook-signature']} {new['webhook-signature']}"})
    assert verify(SW_BODY, headers, "new-secret", now=SW_TS) == HMAC_SHA256
    assert verify(SW_BODY, headers, "old-secret", now=SW_TS) == HMAC_SHA256
    with pytest.raises(SignatureError):
        verify(SW_BODY, headers, "third-secret", now=SW_TS)


@pytest.mark.parametrize("missing", ["webhook-id", "webhook-timestamp"])
def test_standard_headers_required(missing):
    headers = lower(sign(SW_BODY, SW_SECRET, HMAC_SHA256, msg_id=SW_ID, timestamp=SW_TS))
    del headers[missing]
    with pytest.raises(SignatureError):
        verify(SW_BODY, headers, SW_SECRET, now=SW_TS)


def test_disabled_scheme_is_not_accepted():
    headers = lower(sign(BODY, SECRET))
    with pytest.raises(SignatureError):
        verify(BODY, headers, SECRET, schemes=(HMAC_SHA256,))


def test_empty_secret_never_verifies():
    with pytest.raises(SignatureError):
        verify(BODY, lower(sign(BODY, "")), "")


def test_non_ascii_signature_entry_is_rejected_not_crashing():
    headers = {"webhook-id": SW_ID, "webhook-timestamp": str(SW_TS), "webhook-signature": "v1,ß"}
    with pytest.raises(SignatureError):
        verify(SW_BODY, headers, SW_SECRET, now=SW_TS)
