"""Who is the DTLS client (RFC 5763 §5, RFC 4145 §4 and §4.1, RFC 8842): the offerer says actpass, the
answerer picks active or passive, and the active side starts the handshake as DTLS client."""

import pytest
from sdp_edits import setups, with_session_setup, with_setup, without

from harness.conformance import sdp_requirements as req

CLIENT, SERVER = "client", "server"
# RFC 4145 §4: 'active' opens the connection (the DTLS client), 'passive' waits for it (the server).
ROLE_OF_SETUP = {"active": CLIENT, "passive": SERVER}
OTHER_ROLE = {CLIENT: SERVER, SERVER: CLIENT}


@req.OFFER_SETUP_ACTPASS
def test_the_offerers_setup_is_actpass(offer):
    assert setups(offer) and set(setups(offer)) == {"actpass"}, setups(offer)


@req.ANSWER_SETUP_NOT_ACTPASS
@pytest.mark.parametrize("setup", ["actpass", "holdconn", "no-such-role"])
def test_an_answer_whose_setup_is_not_active_or_passive_is_refused(answer, take_answer, refused, setup):
    refused(take_answer(with_setup(answer, setup)))


@req.ANSWER_SETUP_NOT_ACTPASS
def test_the_answerers_own_setup_is_active_or_passive(offer, take_offer, taken):
    outcome = take_offer(offer)
    taken(outcome)
    assert set(setups(outcome.local)) in ({"active"}, {"passive"}), setups(outcome.local)


@req.SETUP_DECIDES_DTLS_ROLE
@pytest.mark.parametrize("setup", sorted(ROLE_OF_SETUP))
def test_the_answers_setup_makes_the_offerer_the_other_dtls_role(answer, take_answer, taken, setup):
    outcome = take_answer(with_setup(answer, setup))
    taken(outcome)
    assert outcome.dtls_roles == {OTHER_ROLE[ROLE_OF_SETUP[setup]]}, outcome


@req.SETUP_DECIDES_DTLS_ROLE
@pytest.mark.parametrize("setup", sorted(ROLE_OF_SETUP))
def test_an_offers_setup_makes_the_answerer_the_other_dtls_role(offer, take_offer, taken, setup):
    outcome = take_offer(with_setup(offer, setup))
    taken(outcome)
    assert outcome.dtls_roles == {OTHER_ROLE[ROLE_OF_SETUP[setup]]}, outcome
    assert set(setups(outcome.local)) == {"passive" if setup == "active" else "active"}, setups(outcome.local)


@req.SETUP_DECIDES_DTLS_ROLE
def test_the_answerer_takes_the_role_its_own_answer_says(offer, take_offer, taken):
    outcome = take_offer(offer)
    taken(outcome)
    assert outcome.dtls_roles == {ROLE_OF_SETUP.get(setups(outcome.local)[0])}, (outcome, setups(outcome.local))


@req.ANSWER_WITHOUT_SETUP
def test_an_answer_without_setup_is_refused_or_read_as_passive(answer, take_answer, taken_or_refused):
    outcome = take_answer(without(answer, "setup"))
    taken_or_refused(outcome)
    assert not outcome.accepted or outcome.dtls_roles == {CLIENT}, outcome


@req.OFFER_WITHOUT_SETUP
def test_an_offer_without_setup_is_read_as_active(offer, take_offer, taken):
    outcome = take_offer(without(offer, "setup"))
    taken(outcome)
    assert outcome.dtls_roles == {SERVER}, outcome


@req.SESSION_LEVEL_SETUP
@pytest.mark.parametrize("setup", sorted(ROLE_OF_SETUP))
def test_a_session_level_setup_applies_to_every_media_section(answer, take_answer, taken, setup):
    outcome = take_answer(with_session_setup(answer, setup, media_setup=False))
    taken(outcome)
    assert outcome.dtls_roles == {OTHER_ROLE[ROLE_OF_SETUP[setup]]}, outcome


@req.SESSION_LEVEL_SETUP
@pytest.mark.parametrize("setup", sorted(ROLE_OF_SETUP))
def test_a_media_level_setup_overrides_the_session_level_one(answer, take_answer, taken, setup):
    other = "passive" if setup == "active" else "active"
    outcome = take_answer(with_session_setup(with_setup(answer, setup), other, media_setup=True))
    taken(outcome)
    assert outcome.dtls_roles == {OTHER_ROLE[ROLE_OF_SETUP[setup]]}, outcome
