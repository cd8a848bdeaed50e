/*
 * GitHub-style footnotes, made from paragraphs after each parse (see
 * footnote.c for the shape of the tree).
 */
#ifndef GUIDEBOOK_FOOTNOTE_H
#define GUIDEBOOK_FOOTNOTE_H

#include <stddef.h>

#include <cmark.h>

/*
 * Put a backslash before every "[^label]:" line outside code and HTML
 * blocks of *text (root: its first parse), so that cmark leaves it a
 * paragraph instead of taking it as a link reference definition.
 * Returns 1 when *text (caller-owned, reallocated) changed and must be
 * parsed again, else 0.
 */
int	footnote_escape(char **text, size_t *len, cmark_node *root);

/* Move definitions to the end of root and make references.  Silent. */
void	footnote_transform(cmark_node *root, const char *text);

#define FOOTNOTE_NOTE	1	/* a note: its number, and references to it */
#define FOOTNOTE_REF	2	/* a reference: the note's number, and k */

/* What n is (FOOTNOTE_NOTE, FOOTNOTE_REF), or 0 for anything else. */
int	footnote_of(cmark_node *, int *number, int *k);

#endif
