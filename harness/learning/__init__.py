"""Active automata learning of the DTLS transport under test (AALpy), and its comparison with the RFCs' machine."""
