"""Audio management (`/api/audio-management`): uploads converted once to telephony form."""
