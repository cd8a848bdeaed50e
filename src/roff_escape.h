/*
 * Every byte of text that reaches a man page goes through roff_escape():
 * the one place that knows roff's special characters, the control
 * characters at the start of a line, and how non-ASCII text is spelt
 * in pure ASCII.
 */
#ifndef GUIDEBOOK_ROFF_ESCAPE_H
#define GUIDEBOOK_ROFF_ESCAPE_H

#include "util.h"

#define RE_LITERAL	0x01	/* code: '-' as \-, quotes as \(aq */
#define RE_UPPER	0x02	/* ASCII letters in upper case */
#define RE_NOFILL	0x04	/* keep blanks and newlines (code blocks) */
#define RE_ARG		0x08	/* quoted macro argument: '"' as \(dq */
#define RE_NAME		0x10	/* a name, code, a cell: may break after . / , */

/*
 * Output being written: the buffer, whether we are at a line start, and
 * the code points written as \[uXXXX] (sorted, no duplicates), for
 * which roff_fallbacks() declares substitutes.
 */
struct roff_w {
	struct buf	*out;
	int		 bol;
	unsigned int	*cps;
	size_t		 ncps, capcps;
};

/* Escaped text. */
void	roff_escape(struct roff_w *, const char *, size_t, int flags);

/*
 * Glyph fallbacks for the code points w has written, as groff requests
 * that mandoc skips: a typesetter without the glyph (groff -Tps or
 * -Tascii) prints an ASCII stand-in instead of warning; terminals that
 * have it are unaffected.  Appended to out.  Frees w's code point set.
 */
void	roff_fallbacks(struct roff_w *, struct buf *out);

/* roff source passed through as is (escapes, fonts), not at a line start. */
void	roff_raw(struct roff_w *, const char *);

/* End the current output line if one is open. */
void	roff_eol(struct roff_w *);

/* A request or macro line: ".XX args\n" on a line of its own. */
void	roff_macro(struct roff_w *, const char *);

#endif
