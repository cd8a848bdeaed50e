/*
 * SHA-1 (FIPS 180-4) and RFC 4122 version 5 UUIDs.  SHA-1 is used here
 * only to name things deterministically, not for security.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "uuid.h"

struct sha1 {
	uint32_t	 h[5];
	uint64_t	 len;
	unsigned char	 block[64];
	size_t		 used;
};

static uint32_t
rol(uint32_t x, int n)
{
	return (x << n) | (x >> (32 - n));
}

static void
sha1_block(struct sha1 *s, const unsigned char *p)
{
	uint32_t	 w[80], a, b, c, d, e, f, k, t;
	int		 i;

	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		    (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (; i < 80; i++)
		w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
	a = s->h[0], b = s->h[1], c = s->h[2], d = s->h[3], e = s->h[4];
	for (i = 0; i < 80; i++) {
		if (i < 20)
			f = (b & c) | (~b & d), k = 0x5A827999;
		else if (i < 40)
			f = b ^ c ^ d, k = 0x6ED9EBA1;
		else if (i < 60)
			f = (b & c) | (b & d) | (c & d), k = 0x8F1BBCDC;
		else
			f = b ^ c ^ d, k = 0xCA62C1D6;
		t = rol(a, 5) + f + e + k + w[i];
		e = d, d = c, c = rol(b, 30), b = a, a = t;
	}
	s->h[0] += a, s->h[1] += b, s->h[2] += c, s->h[3] += d, s->h[4] += e;
}

static void
sha1_update(struct sha1 *s, const void *data, size_t n)
{
	const unsigned char	*p = data;

	s->len += n;
	while (n > 0) {
		size_t take = 64 - s->used < n ? 64 - s->used : n;

		memcpy(s->block + s->used, p, take);
		s->used += take, p += take, n -= take;
		if (s->used == 64) {
			sha1_block(s, s->block);
			s->used = 0;
		}
	}
}

static void
sha1_final(struct sha1 *s, unsigned char out[20])
{
	uint64_t	 bits = s->len * 8;
	unsigned char	 pad = 0x80, len[8];
	int		 i;

	sha1_update(s, &pad, 1);
	pad = 0;
	while (s->used != 56)
		sha1_update(s, &pad, 1);
	for (i = 0; i < 8; i++)
		len[i] = (unsigned char)(bits >> (56 - 8 * i));
	sha1_update(s, len, 8);
	for (i = 0; i < 20; i++)
		out[i] = (unsigned char)(s->h[i / 4] >> (24 - 8 * (i % 4)));
}

void
uuid_v5(const char *name, char out[37])
{
	/* The URL namespace, 6ba7b811-9dad-11d1-80b4-00c04fd430c8. */
	static const unsigned char ns[16] = { 0x6b, 0xa7, 0xb8, 0x11, 0x9d,
	    0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8 };
	struct sha1	 s = { { 0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476,
	    0xC3D2E1F0 }, 0, { 0 }, 0 };
	unsigned char	 h[20];

	sha1_update(&s, ns, sizeof(ns));
	sha1_update(&s, name, strlen(name));
	sha1_final(&s, h);
	h[6] = (h[6] & 0x0F) | 0x50;
	h[8] = (h[8] & 0x3F) | 0x80;
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x%02x%02x%02x%02x", h[0], h[1], h[2], h[3], h[4], h[5],
	    h[6], h[7], h[8], h[9], h[10], h[11], h[12], h[13], h[14], h[15]);
}
