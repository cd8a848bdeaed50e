/*
 * A small Python lexer for highlighting code at build time.  It knows
 * nothing about output formats: it reports runs of text with a class
 * name (Pygments' short names) or NULL for plain text, and the caller
 * turns them into markup.  Every byte of the input is reported exactly
 * once and in order, whatever the input (unterminated strings included).
 *
 *	k   keyword		nb  built-in name	nf  name defined
 *	s   string		si  f-string field	m   number
 *	c   comment		nd  decorator		gp  prompt (pycon)
 *	go  output (pycon)	gt  traceback (pycon)
 */
#ifndef GUIDEBOOK_HIGHLIGHT_H
#define GUIDEBOOK_HIGHLIGHT_H

#include <stddef.h>

typedef void (*highlight_fn)(void *arg, const char *cls, const char *s,
    size_t len);

/* Is the word (len bytes) a Python keyword, or a built-in name? */
int	highlight_keyword(const char *, size_t);
int	highlight_builtin(const char *, size_t);

/* Lex s (len bytes) as Python source, or as a console session. */
void	highlight(const char *s, size_t len, int pycon, highlight_fn,
	    void *arg);

#endif
