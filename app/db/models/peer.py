"""Persistence: peer-signal counters per platform key and day, and what each case contributes to them.

Counters, not scans: a window's signals are read from at most window-days rows per signal and
client; a case's mark says which signals it adds (and since which day), so when it stops (a case
resolved leaves "stuck") exactly its own count is taken back. Both are written by upsert in the
transaction of the event or case opening that changed them; `stuckfunds peers rebuild` recomputes
them from the cases' evaluations.
"""

import uuid
from datetime import date

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base


class PeerMark(Base):
    __tablename__ = "peer_mark"

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"), primary_key=True)
    client_id: Mapped[uuid.UUID]
    # The platform keys the case counts under (app/peers/identity.py), and signal → ISO day it
    # was counted in: the counter row to take it back from.
    keys: Mapped[list[str]] = mapped_column(JSON)
    signals: Mapped[dict[str, str]] = mapped_column(JSON)


class PeerCount(Base):
    __tablename__ = "peer_count"

    platform_key: Mapped[str] = mapped_column(String(120), primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    signal: Mapped[str] = mapped_column(String(60), primary_key=True)
    # Per client, so that a signal can be held to "at least m distinct clients".
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("api_client.id", ondelete="CASCADE"),
                                                 primary_key=True)
    cases: Mapped[int] = mapped_column(default=0)
