"""The ICE credentials a description gives (RFC 8839 §5.4): present in every m-section, ice-ufrag 4 to
256 and ice-pwd 22 to 256 ice-chars (ALPHA / DIGIT / "+" / "/"); a description breaking that is refused."""

import pytest
from sdp_edits import with_attribute, without

from harness.conformance import sdp_requirements as req
from harness.protocols.sdp_attributes import ICE_PWD_LENGTHS, ICE_UFRAG_LENGTHS

CREDENTIALS = ("ice-ufrag", "ice-pwd")
LENGTHS = {"ice-ufrag": ICE_UFRAG_LENGTHS, "ice-pwd": ICE_PWD_LENGTHS}
REQUIREMENTS = {"ice-ufrag": req.ICE_UFRAG_GRAMMAR, "ice-pwd": req.ICE_PWD_GRAMMAR}
ICE_CHARS = "AZaz09+/"
# Characters outside ice-char that still leave the value one word, by name.
NOT_ICE_CHARS = {"hyphen": "-", "underscore": "_", "dot": ".", "equals": "=", "e-acute": "\u00e9"}


def of_length(length):
    return (ICE_CHARS * (length // len(ICE_CHARS) + 1))[:length]


def breaking(name):
    low, high = LENGTHS[name]
    cases = {f"{low - 1}-chars": of_length(low - 1), f"{high + 1}-chars": of_length(high + 1)}
    cases |= {f"with-{label}": char + of_length(low) for label, char in NOT_ICE_CHARS.items()}
    return cases


def keeping(name):
    low, high = LENGTHS[name]
    return {f"{low}-chars": of_length(low), f"{high}-chars": of_length(high)}


def cases(make):
    return [pytest.param(name, value, marks=REQUIREMENTS[name], id=f"{name}-{case}")
            for name in CREDENTIALS for case, value in make(name).items()]  # fmt: skip


@req.ICE_CREDENTIALS_PRESENT
@pytest.mark.parametrize("name", CREDENTIALS)
def test_an_offer_without_ice_credentials_is_refused(offer, take_offer, refused, name):
    refused(take_offer(without(offer, name)))


@req.ICE_CREDENTIALS_PRESENT
@pytest.mark.parametrize("name", CREDENTIALS)
def test_an_answer_without_ice_credentials_is_refused(answer, take_answer, refused, name):
    refused(take_answer(without(answer, name)))


@pytest.mark.parametrize(("name", "value"), cases(breaking))
def test_an_answer_whose_ice_credential_breaks_the_grammar_is_refused(answer, take_answer, refused, name, value):
    refused(take_answer(with_attribute(answer, name, value)))


@pytest.mark.parametrize(("name", "value"), cases(breaking))
def test_an_offer_whose_ice_credential_breaks_the_grammar_is_refused(offer, take_offer, refused, name, value):
    refused(take_offer(with_attribute(offer, name, value)))


@pytest.mark.parametrize(("name", "value"), cases(keeping))
def test_ice_credentials_at_the_grammars_limits_are_taken(offer, answer, take_offer, take_answer, taken, name, value):
    taken(take_offer(with_attribute(offer, name, value)))
    taken(take_answer(with_attribute(answer, name, value)))
