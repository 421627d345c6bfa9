"""The handshake as RFC 5246 orders it and RFC 5764 keys it, with the transport under test in each role."""

import pytest

from harness.conformance import dtls_requirements as req
from harness.conformance.dtls_adapters import CLIENT, ROLES, SERVER
from harness.conformance.dtls_exchange import (
    CLIENT_FLIGHT,
    SERVER_FLIGHT,
    ApplicationData,
    Check,
    Expect,
    ExpectAlert,
    ExpectDelivered,
    ExpectSrtpKeyedByExporter,
    ExpectState,
    Flight,
    HandshakeFlights,
    Send,
    Start,
)
from harness.protocols import dtls
from harness.protocols.dtls_handshake import DECRYPT_ERROR, UNEXPECTED_MESSAGE, ServerHello


@req.KEYS_FROM_EXPORTER
@pytest.mark.parametrize(
    "profile", [dtls.SRTP_AEAD_AES_256_GCM, dtls.SRTP_AEAD_AES_128_GCM, dtls.SRTP_AES128_CM_HMAC_SHA1_80]
)
@pytest.mark.parametrize("role", ROLES)
def test_srtp_is_keyed_with_the_exporters_halves_in_the_stated_order(converse, role, profile):
    converse(
        role,
        Start(),
        HandshakeFlights(),
        ExpectState("connected"),
        ExpectSrtpKeyedByExporter(),
        srtp_profiles=(profile,),
    )


@req.CONNECTED_MEANS_AUTHENTICATED
@pytest.mark.parametrize("role", ROLES)
def test_application_data_flows_once_connected(converse, role):
    converse(
        role,
        Start(),
        HandshakeFlights(),
        ExpectState("connected"),
        ApplicationData(b"hello"),
        ExpectDelivered([b"hello"]),
    )


@req.FINISHED_VERIFIED
def test_the_server_refuses_a_client_finished_that_does_not_verify(converse):
    converse(
        SERVER,
        Start(),
        Flight(),
        Expect(*SERVER_FLIGHT),
        Flight(finished={"verify_data": bytes(12)}),
        ExpectAlert(DECRYPT_ERROR),
        ExpectState("failed"),
    )


@req.FINISHED_VERIFIED
def test_the_client_refuses_a_server_finished_that_does_not_verify(converse):
    converse(
        CLIENT,
        Start(),
        Expect("ClientHello"),
        Flight(),
        Expect(*CLIENT_FLIGHT),
        Flight(finished={"verify_data": bytes(12)}),
        ExpectAlert(DECRYPT_ERROR),
        ExpectState("failed"),
    )


@req.CHANGE_CIPHER_SPEC_BEFORE_FINISHED
def test_a_client_finished_without_change_cipher_spec_is_fatal(converse):
    converse(
        SERVER,
        Start(),
        Flight(),
        Expect(*SERVER_FLIGHT),
        Flight(omit=("change_cipher_spec",)),
        ExpectAlert(UNEXPECTED_MESSAGE),
        ExpectState("failed"),
    )


def key_exchange_before_certificate(peer):
    for build in (peer.client_key_exchange, peer.certificate, peer.certificate_verify):
        peer.send(build())
    peer.change_cipher_spec()
    peer.send(peer.finished())
    return peer.flush()


@req.MESSAGES_IN_ORDER
def test_a_client_key_exchange_before_the_certificate_is_fatal(converse):
    converse(
        SERVER,
        Start(),
        Flight(),
        Expect(*SERVER_FLIGHT),
        Send(key_exchange_before_certificate),
        ExpectAlert(UNEXPECTED_MESSAGE),
        ExpectState("failed"),
    )


@req.CERTIFICATE_VERIFY_CHECKED
def test_a_certificate_verify_that_does_not_verify_is_fatal(converse):
    converse(
        SERVER,
        Start(),
        Flight(),
        Expect(*SERVER_FLIGHT),
        Flight(certificate_verify={"signature": bytes(70)}),
        ExpectAlert(),
        ExpectState("failed"),
    )


@req.CERTIFICATE_VERIFY_CHECKED
def test_a_client_certificate_without_certificate_verify_never_connects(converse):
    exchange = converse(
        SERVER,
        Start(),
        Flight(),
        Expect(*SERVER_FLIGHT),
        Flight(omit=("certificate_verify",)),
        ExpectState("failed", "connecting"),
        ApplicationData(b"unauthenticated"),
        ExpectDelivered([]),
    )
    assert "connected" not in exchange.transport.states
    assert not exchange.peer.handshake_complete, "the server sent its Finished to an unproved certificate"


@req.BOTH_ENDPOINTS_AUTHENTICATED
def test_a_client_without_a_certificate_is_refused(converse):
    converse(
        SERVER,
        Start(),
        Flight(),
        Expect(*SERVER_FLIGHT),
        Flight(certificate={"certificates": []}, omit=("certificate_verify",)),
        ExpectAlert(),
        ExpectState("failed"),
    )


@req.BOTH_ENDPOINTS_AUTHENTICATED
def test_the_server_asks_the_client_for_a_certificate(converse):
    converse(SERVER, Start(), Flight(), Expect(*SERVER_FLIGHT))  # CertificateRequest is in its first flight


def server_hello(exchange) -> ServerHello:
    (item,) = [item for item in exchange.received if item.msg_type == dtls.SERVER_HELLO]
    return item.message


@req.ONE_OFFERED_PROFILE
@pytest.mark.parametrize(
    "offered", [(dtls.SRTP_AES128_CM_HMAC_SHA1_80,), (dtls.SRTP_AEAD_AES_128_GCM, dtls.SRTP_AES128_CM_HMAC_SHA1_80)]
)
def test_the_server_answers_with_exactly_one_offered_profile(converse, offered):
    converse(
        SERVER,
        Start(),
        Flight(),
        Expect(*SERVER_FLIGHT),
        Check(
            "use_srtp in the ServerHello holds one profile the client offered, and no MKI",
            lambda exchange: (use_srtp := server_hello(exchange).extension(dtls.USE_SRTP)) is not None
            and len(use_srtp.profiles) == 1 and use_srtp.profiles[0] in offered and use_srtp.mki == b"",
        ),
        srtp_profiles=offered,
    )  # fmt: skip


@req.ONE_OFFERED_PROFILE
@pytest.mark.parametrize(
    "answer",
    [[dtls.SRTP_NULL_HMAC_SHA1_80], [dtls.SRTP_AEAD_AES_128_GCM, dtls.SRTP_AES128_CM_HMAC_SHA1_80]],
    ids=["never-offered", "two-profiles"],
)
def test_the_client_aborts_on_a_profile_answer_it_cannot_have_asked_for(converse, answer):
    converse(
        CLIENT,
        Start(),
        Expect("ClientHello"),
        Flight(server_hello={"srtp_profiles": answer}),
        ExpectAlert(),
        ExpectState("failed"),
    )


@req.MKI_AS_OFFERED
def test_the_client_aborts_on_an_mki_it_did_not_offer(converse):
    converse(
        CLIENT,
        Start(),
        Expect("ClientHello"),
        Flight(server_hello={"mki": b"\x01\x02"}),
        ExpectAlert(),
        ExpectState("failed"),
    )
