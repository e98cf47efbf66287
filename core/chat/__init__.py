"""Chat about a document: a conversation per model, one question to several models at once, and transcripts."""
