/*
 * The back-of-book index: Python names found in code spans, and concepts
 * the authors mark with an HTML comment, each with the sections of the
 * book that mention it.  Built while the book loads, from each chapter
 * the loader has parsed; the EPUB and man back ends only read it.
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
 * The index is built while the book loads: bookindex_start, then
 * bookindex_chapter as the chapter function of the loader's book_walk
 * (ctx: what bookindex_start returned) gathers each chapter's code
 * spans, marked concepts and examples' imports, and bookindex_finish
 * turns them into *ix (freeing the walk; call it even when the load
 * failed).  Free ix with bookindex_free.
 */
struct bookindex_walk;

struct bookindex_walk	*bookindex_start(void);
void	bookindex_chapter(void *walk, const struct doc *);
void	bookindex_finish(struct bookindex_walk *, struct bookindex *ix);
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
