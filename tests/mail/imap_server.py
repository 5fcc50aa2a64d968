"""A minimal IMAP4rev1 server for the tests: one user, one folder, messages in memory.

It speaks what ``imaplib`` sends for :func:`engine.mail.fetch.fetch` — CAPABILITY, LOGIN, SELECT,
SEARCH/UID SEARCH (ALL, UNSEEN), FETCH/UID FETCH (``BODY.PEEK[]``, ``BODY[]``, ``RFC822``, ``FLAGS``),
STORE/UID STORE (``+FLAGS``/``-FLAGS``/``FLAGS``), NOOP, LOGOUT — and, like a real server, sets
``\\Seen`` when a message is read with ``BODY[]`` or ``RFC822`` but not with ``BODY.PEEK[]``.
"""

from __future__ import annotations

import re
import socketserver
import threading
from dataclasses import dataclass, field

SEEN = "\\Seen"
_TOKEN = re.compile(r'"((?:[^"\\]|\\.)*)"|(\([^)]*\))|(\S+)')


@dataclass
class Stored:
    uid: int
    data: bytes
    flags: set[str] = field(default_factory=set)


class Mailbox:
    def __init__(self, user: str, password: str, folder: str = "INBOX") -> None:
        self.user, self.password, self.folder = user, password, folder
        self.messages: list[Stored] = []
        self.lock = threading.Lock()
        self.commands: list[str] = []

    def add(self, data: bytes, *, seen: bool = False) -> int:
        with self.lock:
            uid = (self.messages[-1].uid if self.messages else 100) + 1
            self.messages.append(Stored(uid, data, {SEEN} if seen else set()))
            return uid

    def seen(self) -> dict[int, bool]:
        with self.lock:
            return {m.uid: SEEN in m.flags for m in self.messages}


class _Session(socketserver.StreamRequestHandler):
    server: _Server

    def handle(self) -> None:
        self.selected = False
        self.authenticated = False
        self.send("* OK [CAPABILITY IMAP4rev1] test server ready")
        while True:
            line = self.rfile.readline()
            if not line:
                return
            text = line.decode("utf-8", "replace").rstrip("\r\n")
            self.server.mailbox.commands.append(text)
            tag, _, rest = text.partition(" ")
            command, _, args = rest.partition(" ")
            command = command.upper()
            uid = False
            if command == "UID":
                uid = True
                command, _, args = args.partition(" ")
                command = command.upper()
            try:
                if not self.dispatch(tag, command, _tokens(args), uid):
                    return
            except (IndexError, ValueError) as exc:
                self.send(f"{tag} BAD {exc or 'malformed command'}")

    def dispatch(self, tag: str, command: str, args: list[str], uid: bool) -> bool:
        box = self.server.mailbox
        if command == "CAPABILITY":
            self.send("* CAPABILITY IMAP4rev1")
        elif command == "NOOP":
            pass
        elif command == "LOGOUT":
            self.send("* BYE logging out")
            self.send(f"{tag} OK LOGOUT completed")
            return False
        elif command == "LOGIN":
            if args[:2] != [box.user, box.password]:
                self.send(f"{tag} NO [AUTHENTICATIONFAILED] Invalid credentials")
                return True
            self.authenticated = True
        elif not self.authenticated:
            self.send(f"{tag} BAD not logged in")
            return True
        elif command in ("SELECT", "EXAMINE"):
            if args[0] != box.folder:
                self.send(f"{tag} NO [NONEXISTENT] no folder {args[0]}")
                return True
            self.selected = True
            with box.lock:
                count = len(box.messages)
                next_uid = (box.messages[-1].uid if box.messages else 100) + 1
            self.send("* FLAGS (\\Seen \\Answered \\Flagged \\Deleted \\Draft)")
            self.send(f"* {count} EXISTS")
            self.send("* 0 RECENT")
            self.send("* OK [UIDVALIDITY 1] UIDs valid")
            self.send(f"* OK [UIDNEXT {next_uid}] next UID")
            self.send(f"{tag} OK [READ-WRITE] {command} completed")
            return True
        elif not self.selected:
            self.send(f"{tag} BAD no folder selected")
            return True
        elif command == "SEARCH":
            self.search(args, uid)
        elif command == "FETCH":
            self.fetch(args, uid)
        elif command == "STORE":
            self.store(args, uid)
        else:
            self.send(f"{tag} BAD unknown command {command}")
            return True
        self.send(f"{tag} OK {'UID ' if uid else ''}{command} completed")
        return True

    def targets(self, spec: str, uid: bool) -> list[tuple[int, Stored]]:
        wanted = {int(n) for n in spec.split(",")}
        with self.server.mailbox.lock:
            numbered = list(enumerate(self.server.mailbox.messages, start=1))
        return [(seq, m) for seq, m in numbered if (m.uid if uid else seq) in wanted]

    def search(self, args: list[str], uid: bool) -> None:
        criterion = " ".join(a.upper() for a in args)
        if criterion not in ("ALL", "UNSEEN"):
            raise ValueError(f"unsupported search {criterion}")
        with self.server.mailbox.lock:
            numbered = list(enumerate(self.server.mailbox.messages, start=1))
        found = [
            str(m.uid if uid else seq)
            for seq, m in numbered
            if criterion == "ALL" or SEEN not in m.flags
        ]
        self.send("* SEARCH" + "".join(f" {n}" for n in found))

    def fetch(self, args: list[str], uid: bool) -> None:
        items = args[1].strip("()").upper().split()
        for seq, message in self.targets(args[0], uid):
            head = [f"UID {message.uid}"] if uid or "UID" in items else []
            literal = None
            if "BODY.PEEK[]" in items or "BODY[]" in items or "RFC822" in items:
                name = "RFC822" if "RFC822" in items else "BODY[]"
                literal = message.data
                if "BODY.PEEK[]" not in items:
                    message.flags.add(SEEN)
                head.append(f"{name} {{{len(literal)}}}")
            if "FLAGS" in items:
                head.insert(0, f"FLAGS ({' '.join(sorted(message.flags))})")
            if literal is None:
                self.send(f"* {seq} FETCH ({' '.join(head)})")
            else:
                self.wfile.write(f"* {seq} FETCH ({' '.join(head)}\r\n".encode() + literal)
                self.send(")")

    def store(self, args: list[str], uid: bool) -> None:
        how, flags = args[1].upper(), set(args[2].strip("()").split())
        for seq, message in self.targets(args[0], uid):
            with self.server.mailbox.lock:
                if how.startswith("+FLAGS"):
                    message.flags |= flags
                elif how.startswith("-FLAGS"):
                    message.flags -= flags
                else:
                    message.flags = set(flags)
                shown = " ".join(sorted(message.flags))
            self.send(f"* {seq} FETCH (UID {message.uid} FLAGS ({shown}))")

    def send(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")


def _tokens(args: str) -> list[str]:
    out = []
    for match in _TOKEN.finditer(args):
        quoted = match.group(1)
        if quoted is not None:
            out.append(re.sub(r"\\(.)", r"\1", quoted))
        else:
            out.append(match.group(2) or match.group(3))
    return out


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, mailbox: Mailbox) -> None:
        super().__init__(("127.0.0.1", 0), _Session)
        self.mailbox = mailbox


class ImapServer:
    """``with ImapServer(mailbox) as server:`` listens on ``127.0.0.1:server.port``."""

    def __init__(self, mailbox: Mailbox) -> None:
        self.mailbox = mailbox
        self._server = _Server(mailbox)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def __enter__(self) -> ImapServer:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
