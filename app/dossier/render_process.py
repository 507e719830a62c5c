"""Dossier, output: render a PDF in a process of its own, with a time and a memory limit.

A dossier's cost grows with the case, and WeasyPrint runs in C code that no Python timeout can
interrupt. So each PDF is rendered in a child process forked from a forkserver that has already
imported WeasyPrint (a fork costs milliseconds; the import, a second). The child's address space
is capped (RLIMIT_AS) and so is its CPU time (RLIMIT_CPU, a backstop); the caller waits at most
`timeout` seconds, and kills it sooner when the client leaves. The child is also killed if the
forkserver goes (PR_SET_PDEATHSIG), which happens when the serving worker dies.
"""

import ctypes
import logging
import multiprocessing
import resource
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from app.errors import ServiceUnavailable

log = logging.getLogger("stuckfunds.dossier")
_context = multiprocessing.get_context("forkserver")
_context.set_forkserver_preload(["app.dossier.render_preload"])
_POLL_SECONDS = 0.1


class RenderUnavailable(ServiceUnavailable):
    code, title = "dossier-render-unavailable", "The PDF could not be rendered within its limits"


@dataclass(frozen=True)
class RenderLimits:
    timeout_seconds: float
    memory_bytes: int
    concurrency: int


def _die_with_parent() -> None:
    if sys.platform.startswith("linux"):
        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def _render_child(html: str, conn, memory_bytes: int, cpu_seconds: int) -> None:
    """In the child: limit itself, render, send ("pdf", bytes) or ("error", kind, message)."""
    _die_with_parent()
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    from app.dossier.render_pdf import pdf_bytes

    try:
        conn.send(("pdf", pdf_bytes(html)))
    except MemoryError:
        conn.send(("error", "memory", "the memory limit was reached"))
    except ServiceUnavailable as exc:  # WeasyPrint or Pango missing
        conn.send(("error", "unavailable", exc.detail))
    except Exception as exc:  # the parent logs it and answers 503; the traceback stays here
        conn.send(("error", "failed", f"{type(exc).__name__} in the renderer"))
    finally:
        conn.close()


class Renderer:
    """One per serving process: at most `concurrency` children at once, each within its limits."""

    def __init__(self, limits: RenderLimits) -> None:
        self.limits = limits
        self._slots = threading.BoundedSemaphore(limits.concurrency)
        self.rendered = 0  # PDFs made so far (the cache's tests and benchmark read it)

    def render(self, html: str, *, client_gone: Callable[[], bool] = lambda: False) -> bytes:
        """The PDF for this HTML; RenderUnavailable (503 with Retry-After) past a limit."""
        deadline = time.monotonic() + self.limits.timeout_seconds
        if not self._slots.acquire(timeout=self.limits.timeout_seconds):
            raise RenderUnavailable("Every PDF renderer of this server is busy; retry shortly, or ask "
                                    "for format=markdown.", headers={"Retry-After": "10"})
        try:
            return self._render(html, deadline, client_gone)
        finally:
            self._slots.release()

    def _render(self, html: str, deadline: float, client_gone: Callable[[], bool]) -> bytes:
        receiver, sender = _context.Pipe(duplex=False)
        cpu = int(self.limits.timeout_seconds) + 5
        child = _context.Process(target=_render_child, name="stuckfunds-dossier-pdf",
                                 args=(html, sender, self.limits.memory_bytes, cpu), daemon=True)
        started = time.monotonic()
        child.start()
        sender.close()
        log.info("dossier render started", extra={"pid": child.pid})
        try:
            while not receiver.poll(_POLL_SECONDS):
                if not child.is_alive() and not receiver.poll(0):
                    raise self._failed(f"the renderer stopped (exit code {child.exitcode}; its memory "
                                       f"limit is {self.limits.memory_bytes // 2**20} MiB)")
                if time.monotonic() > deadline:
                    raise self._failed(f"it took longer than {self.limits.timeout_seconds:g} s")
                if client_gone():
                    log.info("dossier client left; renderer stopped after %.1f s",
                             time.monotonic() - started)
                    raise RenderUnavailable("The client left before the PDF was ready.")
            try:
                outcome = receiver.recv()
            except EOFError:
                raise self._failed(f"the renderer stopped (exit code {child.exitcode})") from None
            if outcome[0] != "pdf":
                raise self._failed(outcome[2])
            self.rendered += 1
            log.info("dossier rendered", extra={"seconds": round(time.monotonic() - started, 2),
                                                "bytes": len(outcome[1])})
            return outcome[1]
        finally:
            receiver.close()
            if child.is_alive():
                child.kill()
            child.join(timeout=5)

    def _failed(self, why: str) -> RenderUnavailable:
        log.warning("dossier PDF not rendered: %s", why)
        return RenderUnavailable(f"The PDF could not be rendered: {why}. Retry later, or ask for "
                                 "format=markdown or format=json, which are always available.",
                                 headers={"Retry-After": "30"})
