"""Evidence, response edge: what the API returns for evidence files and integrity checks."""

import uuid
from datetime import datetime
from typing import Annotated, Literal

from fastapi import UploadFile
from pydantic import BaseModel, Field, StringConstraints, computed_field

from app.cases.event_data import EvidenceSavedData
from app.schemas import TEXT_PATTERN, PastOrNowDatetime, ReadSchema, Schema

EvidenceKind = EvidenceSavedData.model_fields["kind"].annotation


class EvidenceUpload(Schema):
    """The upload form: the file and what it is; a field not named here is refused (422)."""

    file: UploadFile = Field(description="The file; its type is read from its content")
    kind: EvidenceKind = Field(description="What the file is (DESIGN §4)")  # type: ignore[valid-type]
    captured_at: PastOrNowDatetime = Field(description="When it was captured, with a UTC offset")
    # A form cannot send null: an empty field is how a client says "no description".
    description: Annotated[str, StringConstraints(max_length=2000, pattern=rf"^$|{TEXT_PATTERN}")] | None = \
        Field(default=None, description="Optional; an empty field is the same as none")


class EvidenceRead(ReadSchema):
    id: uuid.UUID
    case_id: uuid.UUID
    sha256: str = Field(description="SHA-256 of the file's bytes, lowercase hex")
    size: int = Field(description="Bytes")
    media_type: str = Field(description="Sniffed from the content, not from the name")
    kind: str
    captured_at: datetime
    description: str | None
    original_name: str | None = Field(description="The uploaded name, stripped of any folders")
    created_at: datetime
    event_seq: int = Field(description="The `evidence_saved` event that records the upload")

    @computed_field  # type: ignore[prop-decorator]
    @property
    def content_url(self) -> str:
        return f"/v1/cases/{self.case_id}/evidence/{self.id}/content"


class EvidencePage(BaseModel):
    items: list[EvidenceRead]


class IntegrityIssue(BaseModel):
    subject: Literal["event", "evidence"]
    problem: str = Field(description=(
        "event: content_changed, link_broken, missing, unsealed; "
        "evidence: file_missing, file_changed, record_mismatch"))
    seq: int | None = Field(default=None, description="The event, or the evidence's event")
    evidence_id: uuid.UUID | None = None
    sha256: str | None = Field(default=None, description="The evidence file's recorded SHA-256")
    expected: str | None = Field(default=None, description="The hash on record")
    actual: str | None = Field(default=None, description="The hash recomputed now")
    detail: str


class IntegrityReport(BaseModel):
    ok: bool
    checked_at: datetime
    events_checked: int
    evidence_checked: int
    head_hash: str | None = Field(description=(
        "The last event's hash: keep it outside StuckFunds to detect a rewrite of the whole log"))
    issues: list[IntegrityIssue]
