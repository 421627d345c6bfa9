"""A deliberately broken stateful "component": a combination lock whose bug needs a conversation.

Keys 1, 2, 3 pressed in that order open it; 9 on an open lock raises KeyError (a bug no single
key reaches); 0 jams it for good (the subject dies). Every lock built is counted, so tests see
when the harness set one up again instead of resetting it.
"""

COMBINATION = b"123"
built = 0


class Lock:
    def __init__(self) -> None:
        global built
        built += 1
        self.entered = b""
        self.jammed = False

    def press(self, key: int) -> str:
        if self.jammed:
            return "jammed"
        if key == ord("0"):
            self.jammed = True
            return "jammed"
        if key == ord("9") and self.entered == COMBINATION:
            raise KeyError("the open lock has no key 9")
        self.entered = (self.entered + bytes([key]))[-len(COMBINATION) :]
        return "open" if self.entered == COMBINATION else "closed"

    def working(self) -> bool:
        return not self.jammed

    def clear(self) -> None:
        self.entered = b""
