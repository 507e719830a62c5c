"""Peer signals, request edge: the thresholds of STUCKFUNDS_PEER_*, or None while switched off (async: no I/O)."""

from typing import Annotated

from fastapi import Depends, Request

from app.peers.service import PeerPolicy


async def get_peer_policy(request: Request) -> PeerPolicy | None:
    return PeerPolicy.from_settings(request.app.state.settings)


PeerSettings = Annotated[PeerPolicy | None, Depends(get_peer_policy)]
