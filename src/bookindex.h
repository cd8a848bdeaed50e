/*
 * The back-of-book index: Python names found in code spans, and concepts
 * the authors mark with an HTML comment, each with the sections of the
 * book that mention it.  Built from the resolved book; the EPUB and man
 * back ends only read it.
 */
#ifndef GUIDEBOOK_BOOKINDEX_H
#define GUIDEBOOK_BOOKINDEX_H

#include "book.h"

/* A place a term appears: a section of a chapter (heading NULL: top). */
struct bookindex_ref {
	const struct doc	*doc;
	const struct heading	*heading;
};

struct bookindex_term {
	char		*text;		/* as shown */
	char		*key;		/* sort key: lower case, no leading _ - */
	int		 code;		/* a name (monospace), not a concept */
	struct bookindex_ref	*refs;		/* in book order, no duplicates */
	size_t		 nrefs;
};

struct bookindex {
	struct bookindex_term	*terms;		/* sorted by key, then text */
	size_t		 n;
};

/*
 * The index of a loaded book: every chapter is walked (doc_open) for
 * code spans, marked concepts and its examples' imports.
 */
void	bookindex_build(const struct book *, struct bookindex *);
void	bookindex_free(struct bookindex *);

/* The letter a term is filed under: 'A' to 'Z', or '#'. */
int	bookindex_letter(const struct bookindex_term *);

/*
 * The index term a code span names, or NULL for noise (literals,
 * numbers, keywords, one-letter names, expressions).  modules is the
 * set of module names imported anywhere in the book's examples; python
 * says whether the book's code is Python (else only options are
 * terms).  Exposed for tests; caller frees.
 */
char	*bookindex_code_term(const char *code, const char *const *modules,
	    size_t nmodules, int python);

#endif
