/*
 * man(7) back end: one page per document of the book.
 */
#ifndef GUIDEBOOK_ROFF_H
#define GUIDEBOOK_ROFF_H

#include "book.h"

/*
 * Render document d of book b as a complete man(7) page into out
 * (appended).  The index document gets a SEE ALSO of every chapter.
 */
void	roff_page(const struct book *, const struct doc *, struct buf *out);

/* The text of an alias page pointing at d's page (appended to out). */
void	roff_alias(const struct doc *, struct buf *out);

#endif
