"""Evidence photos: intake (type by content, limits, EXIF GPS and time, clean copies, perceptual hash,
duplicates) for any domain, and the route that serves the clean files. See docs/evidence.md."""
