/*
 * EPUB 3 back end: the package document, navigation (nav.xhtml and the
 * EPUB 2 toc.ncx), generated pages, and their list of archive members
 * (archive.h makes the zip container).
 */
#ifndef GUIDEBOOK_EPUB_H
#define GUIDEBOOK_EPUB_H

#include "book.h"

struct epub_opts {
	int		 toc_depth;	/* heading levels below a chapter */
};

/*
 * Build the whole EPUB in memory.  On success *data (caller frees) and
 * *len hold the archive; returns 0, or -1 after a diagnostic.
 */
int	epub_build(const struct book *, const struct epub_opts *,
	    char **data, size_t *len);

#endif
