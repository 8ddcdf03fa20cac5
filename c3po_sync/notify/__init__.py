"""PPM digests: what each PPM is told (digest) and how it reads (render)."""
