"""A throwaway OpenSSH server on 127.0.0.1 for the ssh sharing test.

Its own config, host key, client key and authorized_keys live in a temporary folder; it listens
on a free high port (never the system's sshd on port 22) and lets in only the current user with
the key made here. `missing()` says why it cannot run (no sshd, no ssh-keygen), for a skip.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

# Debian puts sshd in /usr/sbin, which a non-login PATH may lack.
SEARCH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/usr/local/sbin"])


def sshd_path() -> str | None:
    found = shutil.which("sshd", path=SEARCH)
    return str(Path(found).resolve()) if found else None  # sshd re-execs: an absolute path


def missing() -> str | None:
    """Why no server can be started here, or None."""
    if sshd_path() is None:
        return "no sshd (install openssh-server: apt-get install openssh-server)"
    if shutil.which("ssh-keygen", path=SEARCH) is None:
        return "no ssh-keygen (install openssh-client)"
    return None


@dataclass
class Server:
    port: int
    user: str
    keyfile: Path  # the client's private key, no passphrase
    log: Path  # sshd's own log (-e): one "Accepted publickey for USER" line per connection

    def url(self, path: Path) -> str:
        return f"ssh://{self.user}@127.0.0.1:{self.port}{path}"


def keygen(path: Path) -> None:
    subprocess.run([shutil.which("ssh-keygen", path=SEARCH), "-q", "-t", "ed25519", "-N", "",
                    "-C", "rnnlab-test", "-f", str(path)], check=True, capture_output=True,
                   timeout=30)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def listening(log: Path, port: int) -> bool:
    """sshd -e logs this once it listens (a port taken meanwhile by another makes it exit)."""
    return f"Server listening on 127.0.0.1 port {port}." in log.read_text(errors="replace")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@contextlib.contextmanager
def serve(folder: Path, tries: int = 3, wait_s: float = 15) -> Iterator[Server]:
    """Start sshd with everything under `folder`; stop it on leaving, whatever happened."""
    folder.mkdir(parents=True, exist_ok=True)
    keygen(folder / "host_ed25519")
    keygen(folder / "id_ed25519")
    shutil.copy(folder / "id_ed25519.pub", folder / "authorized_keys")
    if os.geteuid() == 0:  # sshd run by root needs its privilege separation folder (Debian's
        os.makedirs("/run/sshd", mode=0o755, exist_ok=True)  # service makes it at start)
    user = getpass.getuser()
    log = folder / "sshd.log"
    for _ in range(tries):  # another process may take the free port first: try another
        port = free_port()
        config = folder / "sshd_config"
        config.write_text("\n".join([
            f"Port {port}", "ListenAddress 127.0.0.1",
            f"HostKey {folder / 'host_ed25519'}",
            f"AuthorizedKeysFile {folder / 'authorized_keys'}",
            f"PidFile {folder / 'sshd.pid'}",
            f"AllowUsers {user}",
            "StrictModes no",  # the temporary folder's modes are pytest's
            "PubkeyAuthentication yes", "PasswordAuthentication no",
            "KbdInteractiveAuthentication no", "PermitRootLogin prohibit-password",
            "UsePAM no", "X11Forwarding no", "AllowTcpForwarding no",
            "Subsystem sftp internal-sftp",  # DVC talks SFTP
            "",
        ]))
        with log.open("ab") as out:
            process = subprocess.Popen([sshd_path(), "-D", "-e", "-f", str(config)],
                                       stdin=subprocess.DEVNULL, stdout=out,
                                       stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + wait_s
            while process.poll() is None and time.monotonic() < deadline:
                if listening(log, port):
                    yield Server(port, user, folder / "id_ed25519", log)
                    return
                time.sleep(0.2)
        finally:
            stop(process)
    raise RuntimeError(f"sshd did not start on 127.0.0.1:\n{log.read_text()[-3000:]}")
