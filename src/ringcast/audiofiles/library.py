"""The clip library: an organization's audio files and dictionaries as
in-memory telephony clips, and the flow runner's clip resolver over them.

Before a call (or a simulation) the caller preloads what the flow references
(`preload`, one query per kind, files read once and cached per process);
during the call the resolver only does memory lookups and the audio engine's
cached number speaking, so playing "1,523 dirhams" costs microseconds.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
from sqlalchemy.ext.asyncio import AsyncSession

from ringcast.audio.clip import Clip
from ringcast.audio.dictionary import ClipDictionary, load_system_dictionary
from ringcast.audio.join import join_clips
from ringcast.audio.requests import ClipRequest
from ringcast.audio.resolve import resolve_clips
from ringcast.audio.wav import read_wav
from ringcast.audiofiles.repository import AudioFileRepository
from ringcast.dictionaries.repository import DictionaryRepository
from ringcast.flow.context import RunContext
from ringcast.storage.base import Storage
from ringcast.telephony.channel import Pcm


class _Lru(OrderedDict[str, object]):
    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def put(self, key: str, value: object) -> None:
        self[key] = value
        self.move_to_end(key)
        while len(self) > self.size:
            self.popitem(last=False)


class JoinCache:
    """Joined clips by the identity of their parts, least recently used first out.

    A Play node's clips are joined with fades at every joint (`join_clips`), which
    makes a new array: joined per call, each call held its own copy of the prompt, and
    with media workers each call's copy was pickled and sent to a worker, then
    forgotten (issue 19: a 1 s prompt at 300 CPS, ~5 MB/s over the workers' sockets).
    Kept here, the calls playing the same clips share one immutable array, which a
    worker receives once. An entry holds its parts, so their ids stay theirs while it
    lives. Bounded by total samples (`max_samples`): per-call audio (a name, an
    amount) comes and goes without pushing out more than its own size."""

    def __init__(self, max_samples: int = 16_000_000) -> None:  # 2,000 s, 32 MB
        self.max_samples = max_samples
        self._entries: OrderedDict[tuple[int, ...], tuple[tuple[Clip, ...], Clip]] = OrderedDict()
        self._samples = 0

    def joined(self, parts: Sequence[Clip]) -> Clip:
        key = tuple(map(id, parts))
        hit = self._entries.get(key)
        if hit is not None:
            self._entries.move_to_end(key)
            return hit[1]
        clip = join_clips(parts)
        size = len(clip.pcm)
        if size <= self.max_samples:
            self._entries[key] = (tuple(parts), clip)
            self._samples += size
            while self._samples > self.max_samples:
                _, (_, old) = self._entries.popitem(last=False)
                self._samples -= len(old.pcm)
        return clip

    def __len__(self) -> int:
        return len(self._entries)


class ClipLibrary:
    """Per-process cache of telephony clips, keyed by audio file / dictionary id."""

    def __init__(self, storage: Storage, max_files: int = 512) -> None:
        self.storage = storage
        self._files = _Lru(max_files)
        self._dictionaries = _Lru(64)
        self._joins = JoinCache()

    async def preload(
        self,
        session: AsyncSession,
        organization_id: str,
        audio_ids: Iterable[str],
        dictionary_ids: Iterable[str],
    ) -> None:
        """Load what a flow references (idempotent; cached files are reused)."""
        wanted = [a for a in set(audio_ids) if a not in self._files]
        if wanted:
            repo = AudioFileRepository(session)
            for audio_id in wanted:
                row = await repo.get(organization_id, audio_id)
                if row is not None:
                    self._files.put(audio_id, Clip(read_wav(self.storage.get(row.telephony_key))))
        repo_d = DictionaryRepository(session)
        for dictionary_id in set(dictionary_ids):
            if dictionary_id.startswith("system-"):
                continue  # built in (`dictionary` loads it): no row to read
            row_d = await repo_d.get_visible(organization_id, dictionary_id)
            if row_d is None or row_d.is_system:
                continue
            entries = await repo_d.entries(row_d.id)
            stamp = max((e.updated_at for e in entries), default=None)
            cached = self._dictionaries.get(dictionary_id)
            if isinstance(cached, tuple) and cached[0] == (stamp, len(entries)):
                continue
            clips = {e.key: Clip(read_wav(self.storage.get(e.telephony_key))) for e in entries}
            self._dictionaries.put(
                dictionary_id, ((stamp, len(entries)), ClipDictionary(row_d.language, clips))
            )

    def audio(self, audio_id: str) -> Clip:
        clip = self._files.get(audio_id)
        if not isinstance(clip, Clip):
            raise KeyError(f"audio file {audio_id!r} is not loaded")
        return clip

    def dictionary(self, dictionary_id: str | None, language: str) -> Mapping[str, Clip]:
        if dictionary_id is None or dictionary_id.startswith("system-"):
            return load_system_dictionary(language)
        cached = self._dictionaries.get(dictionary_id)
        if not isinstance(cached, tuple):
            raise KeyError(f"dictionary {dictionary_id!r} is not loaded")
        dictionary: Mapping[str, Clip] = cached[1]
        return dictionary

    async def resolve(self, clips: Sequence[ClipRequest], ctx: RunContext) -> Sequence[Pcm]:
        """The flow runner's `ClipResolver`: one joined, click-free clip (`resolve_play`),
        the same immutable array for every call that plays the same clips."""
        parts = resolve_clips(clips, dictionaries=self.dictionary, audio_files=self.audio)
        return [self._joins.joined(parts).pcm]

    async def resolve_silent(self, clips: Sequence[ClipRequest], ctx: RunContext) -> Sequence[Pcm]:
        """A `ClipResolver` for simulations: the same lookups as `resolve` (a missing
        file or dictionary key fails the same way) and the same length, in silence: a
        simulated call only counts samples, so the audio is neither copied nor joined."""
        parts = resolve_clips(clips, dictionaries=self.dictionary, audio_files=self.audio)
        silence = np.zeros(sum(len(c.pcm) for c in parts), dtype=np.int16)
        silence.flags.writeable = False
        return [silence]
