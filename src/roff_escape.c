/*
 * roff escaping, in one place (as lowdown's roff_escape.c).  The output
 * is pure ASCII: characters that roff treats specially are escaped,
 * non-ASCII characters become named glyphs where groff and mandoc both
 * have one and \[uXXXX] otherwise, and a line never starts with '.' or
 * '\'' unless it is meant as a request.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "roff_escape.h"

/* Sorted by code point, for bsearch. */
static const struct glyph {
	unsigned int	 cp;
	const char	*roff;
} glyphs[] = {
	{ 0x00A0, "\\~" },	{ 0x00A7, "\\(sc" },	{ 0x00A9, "\\(co" },
	{ 0x00AB, "\\(Fo" },	{ 0x00AE, "\\(rg" },	{ 0x00B0, "\\(de" },
	{ 0x00B1, "\\(+-" },	{ 0x00B6, "\\(ps" },	{ 0x00B7, "\\(pc" },
	{ 0x00BB, "\\(Fc" },	{ 0x00D7, "\\(mu" },	{ 0x00F7, "\\(di" },
	{ 0x2010, "\\(hy" },	{ 0x2013, "\\(en" },	{ 0x2014, "\\(em" },
	{ 0x2018, "\\(oq" },	{ 0x2019, "\\(cq" },	{ 0x201C, "\\(lq" },
	{ 0x201D, "\\(rq" },	{ 0x2020, "\\(dg" },	{ 0x2022, "\\(bu" },
	{ 0x2122, "\\(tm" },	{ 0x2190, "\\(<-" },	{ 0x2192, "\\(->" },
	{ 0x2194, "\\(<>" },	{ 0x21D2, "\\(rA" },	{ 0x2212, "\\(mi" },
	{ 0x221E, "\\(if" },	{ 0x2248, "\\(~~" },	{ 0x2260, "\\(!=" },
	{ 0x2264, "\\(<=" },	{ 0x2265, "\\(>=" },
};

static int
cmp_glyph(const void *key, const void *elem)
{
	unsigned int	 cp = *(const unsigned int *)key;
	unsigned int	 g = ((const struct glyph *)elem)->cp;

	return cp < g ? -1 : cp > g;
}

/* Remember cp in w's sorted set. */
static void
note_codepoint(struct roff_w *w, unsigned int cp)
{
	size_t	 lo = 0, hi = w->ncps, mid;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (w->cps[mid] == cp)
			return;
		if (w->cps[mid] < cp)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (w->ncps == w->capcps) {
		w->capcps = w->capcps ? w->capcps * 2 : 32;
		w->cps = xreallocarray(w->cps, w->capcps, sizeof(*w->cps));
	}
	memmove(w->cps + lo + 1, w->cps + lo, (w->ncps - lo) *
	    sizeof(*w->cps));
	w->cps[lo] = cp;
	w->ncps++;
}

static void
put_codepoint(struct roff_w *w, unsigned int cp)
{
	const struct glyph	*g;

	g = bsearch(&cp, glyphs, sizeof(glyphs) / sizeof(glyphs[0]),
	    sizeof(glyphs[0]), cmp_glyph);
	if (g != NULL)
		buf_puts(w->out, g->roff);
	else {
		buf_printf(w->out, "\\[u%04X]", cp);
		note_codepoint(w, cp);
	}
}

/* Base letters of U+00C0 to U+00FF, for fallbacks. */
static const char latin1[] =
    "AAAAAAACEEEEIIIIDNOOOOOxOUUUUYTsaaaaaaaceeeeiiiidnooooo/ouuuuyty";

/* An ASCII stand-in for cp (a static string). */
static const char *
fallback(unsigned int cp)
{
	static char	 one[2];

	if (cp >= 0xC0 && cp <= 0xFF) {
		one[0] = latin1[cp - 0xC0];
		one[1] = '\0';
		return one;
	}
	if (cp >= 0x2500 && cp <= 0x257F) {	/* box drawing */
		static const unsigned short horiz[] = { 0x2500, 0x2501, 0x2504,
		    0x2505, 0x2508, 0x2509, 0x254C, 0x254D, 0x2550, 0x2574,
		    0x2576, 0x2578, 0x257A, 0x257C, 0x257E, 0 };
		static const unsigned short vert[] = { 0x2502, 0x2503, 0x2506,
		    0x2507, 0x250A, 0x250B, 0x254E, 0x254F, 0x2551, 0x2575,
		    0x2577, 0x2579, 0x257B, 0x257D, 0x257F, 0 };
		size_t k;

		for (k = 0; horiz[k] != 0; k++)
			if (horiz[k] == cp)
				return "-";
		for (k = 0; vert[k] != 0; k++)
			if (vert[k] == cp)
				return "|";
		if (cp == 0x2571)
			return "/";
		if (cp == 0x2572)
			return "\\e";
		return cp == 0x2573 ? "X" : "+";
	}
	switch (cp) {
	case 0x2190: case 0x21D0: return "<-";
	case 0x2192: case 0x21D2: return "->";
	case 0x2191: case 0x21D1: case 0x25B2: case 0x25B4: return "^";
	case 0x2193: case 0x21D3: case 0x25BC: case 0x25BE: return "v";
	case 0x25B6: case 0x25B8: case 0x25BA: return ">";
	case 0x25C0: case 0x25C2: case 0x25C4: return "<";
	case 0x2026: return "...";
	case 0x2713: case 0x2714: return "v";
	case 0x2717: case 0x2718: return "x";
	case 0x25CF: case 0x25CB: case 0x2219: return "o";
	case 0x2003: case 0x2002: case 0x2009: case 0x200A: return "\\ ";
	default: return "?";
	}
}

void
roff_fallbacks(struct roff_w *w, struct buf *out)
{
	size_t	 i;

	if (w->ncps > 0) {
		BUF_LIT(out, ".\\\" Stand-ins for glyphs a groff device "
		    "may lack (mandoc skips this).\n.if \\n(.x \\{\\\n");
		for (i = 0; i < w->ncps; i++)
			buf_printf(out, ".fchar \\[u%04X] %s\n", w->cps[i],
			    fallback(w->cps[i]));
		BUF_LIT(out, ".\\}\n");
	}
	free(w->cps);
	w->cps = NULL;
	w->ncps = w->capcps = 0;
}

/*
 * The bytes that roff_escape() copies unchanged in the middle of a
 * line: P always, L unless RE_LITERAL ('-' and '\''), A unless RE_ARG
 * ('"').  Everything else takes the careful path below.
 */
#define P	1
#define L	2
#define A	4
static const unsigned char plain[256] = {
	/* ' ' to '/' */
	[' '] = P, ['!'] = P, ['"'] = A, ['#'] = P, ['$'] = P, ['%'] = P,
	['&'] = P, ['\''] = L, ['('] = P, [')'] = P, ['*'] = P, ['+'] = P,
	[','] = P, ['-'] = L, ['.'] = P, ['/'] = P,
	['0'] = P, ['1'] = P, ['2'] = P, ['3'] = P, ['4'] = P, ['5'] = P,
	['6'] = P, ['7'] = P, ['8'] = P, ['9'] = P,
	[':'] = P, [';'] = P, ['<'] = P, ['='] = P, ['>'] = P, ['?'] = P,
	['@'] = P,
	['A'] = P, ['B'] = P, ['C'] = P, ['D'] = P, ['E'] = P, ['F'] = P,
	['G'] = P, ['H'] = P, ['I'] = P, ['J'] = P, ['K'] = P, ['L'] = P,
	['M'] = P, ['N'] = P, ['O'] = P, ['P'] = P, ['Q'] = P, ['R'] = P,
	['S'] = P, ['T'] = P, ['U'] = P, ['V'] = P, ['W'] = P, ['X'] = P,
	['Y'] = P, ['Z'] = P,
	['['] = P, [']'] = P, ['_'] = P,
	['a'] = P, ['b'] = P, ['c'] = P, ['d'] = P, ['e'] = P, ['f'] = P,
	['g'] = P, ['h'] = P, ['i'] = P, ['j'] = P, ['k'] = P, ['l'] = P,
	['m'] = P, ['n'] = P, ['o'] = P, ['p'] = P, ['q'] = P, ['r'] = P,
	['s'] = P, ['t'] = P, ['u'] = P, ['v'] = P, ['w'] = P, ['x'] = P,
	['y'] = P, ['z'] = P,
	['{'] = P, ['|'] = P, ['}'] = P,
};
#undef P
#undef L
#undef A

void
roff_escape(struct roff_w *w, const char *s, size_t len, int flags)
{
	struct buf	*b = w->out;
	size_t		 i, j, n;
	unsigned int	 cp;
	unsigned char	 c;
	int		 mask;

	mask = 1 | (flags & RE_LITERAL ? 0 : 2) | (flags & RE_ARG ? 0 : 4);
	for (i = 0; i < len; i += n) {
		/* Fast path: a run of plain bytes not at a line start. */
		if (!w->bol && !(flags & (RE_UPPER | RE_NAME))) {
			for (j = i; j < len &&
			    (plain[(unsigned char)s[j]] & mask); j++)
				;
			if (j > i) {
				buf_put(b, s + i, j - i);
				n = j - i;
				continue;
			}
		}
		c = (unsigned char)s[i];
		n = 1;
		if (c == '\n') {
			if (flags & RE_ARG)
				buf_putc(b, ' ');
			else if (!w->bol || (flags & RE_NOFILL)) {
				buf_putc(b, '\n');
				w->bol = 1;
			}
			continue;
		}
		if ((c < 0x20 && c != '\t') || c == 0x7F)
			continue;	/* no control characters in roff */
		if (w->bol && !(flags & (RE_NOFILL | RE_ARG)) &&
		    (c == ' ' || c == '\t'))
			continue;	/* a leading blank would break */
		if (w->bol && (c == '.' || c == '\''))
			BUF_LIT(b, "\\&");
		/*
		 * Long names may break after a dot, a slash or a comma, and
		 * after a hyphen that follows a letter (page names), never
		 * hyphenate.
		 */
		if ((flags & RE_NAME) && i > 1 && (s[i - 1] == '.' ||
		    s[i - 1] == '/' || s[i - 1] == ',' || (s[i - 1] == '-' &&
		    isalnum((unsigned char)s[i - 2]) &&
		    isalpha((unsigned char)c))) && c != ' ' && c != '.' &&
		    c != '/' && c != ',' && c != '-')
			BUF_LIT(b, "\\:");
		w->bol = 0;
		switch (c) {
		case '\\':
			BUF_LIT(b, "\\e");
			break;
		case '-':
			if (flags & RE_LITERAL)
				BUF_LIT(b, "\\-");
			else
				buf_putc(b, '-');
			break;
		case '\'':
			if (flags & RE_LITERAL)
				BUF_LIT(b, "\\(aq");
			else
				buf_putc(b, '\'');
			break;
		case '"':
			if (flags & RE_ARG)
				BUF_LIT(b, "\\(dq");
			else
				buf_putc(b, '"');
			break;
		case '`':
			BUF_LIT(b, "\\(ga");
			break;
		case '^':
			BUF_LIT(b, "\\(ha");
			break;
		case '~':
			BUF_LIT(b, "\\(ti");
			break;
		case '\t':
			buf_putc(b, (flags & RE_NOFILL) ? '\t' : ' ');
			break;
		default:
			if (c >= 0x80) {
				cp = utf8_decode(s + i, len - i, &n);
				put_codepoint(w, cp);
			} else if ((flags & RE_UPPER) && c >= 'a' && c <= 'z')
				buf_putc(b, c - 'a' + 'A');
			else
				buf_putc(b, c);
			break;
		}
	}
}

void
roff_raw(struct roff_w *w, const char *s)
{
	if (*s == '\0')
		return;
	buf_puts(w->out, s);
	w->bol = s[strlen(s) - 1] == '\n';
}

void
roff_eol(struct roff_w *w)
{
	struct buf	*b = w->out;

	if (!w->bol) {
		/* No trailing blanks: the newline is the word space. */
		while (b->len > 1 && b->ptr[b->len - 1] == ' ' &&
		    b->ptr[b->len - 2] != '\\')
			b->ptr[--b->len] = '\0';
		buf_putc(b, '\n');
		w->bol = 1;
	}
}

void
roff_macro(struct roff_w *w, const char *line)
{
	roff_eol(w);
	buf_puts(w->out, line);
	buf_putc(w->out, '\n');
	w->bol = 1;
}
