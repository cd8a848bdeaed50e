/*
 * Between the files of the loader (book.c, scan.c, frontmatter.c,
 * links.c, summary.c): nothing outside the loader includes this.
 */
#ifndef GUIDEBOOK_LOAD_H
#define GUIDEBOOK_LOAD_H

#include "book.h"

/* Where a front-matter key may appear. */
#define IN_INDEX	1
#define IN_CHAPTER	2
#define IN_BOTH		(IN_INDEX | IN_CHAPTER)

/*
 * Read the front matter at the top of d->text (keys allowed by where),
 * blank it in place so that line numbers stay, and apply it to d and b.
 * Returns 0, or -1 after an error.
 */
int	 frontmatter_apply(struct book *, struct doc *, int where);

/*
 * Scan d's fresh tree (scan.c): heading ids, links, code blocks, raw
 * HTML, nesting, the title.  0, or -1 after an error.
 */
int	 doc_scan(struct book *, struct doc *);

/* Is id taken in d, by a heading or by an anchor of raw HTML? */
int	 doc_id_taken(const struct doc *, const char *id);

/* Is the real path of file inside the real directory dir? */
int	 inside_dir(const char *dir, const char *file);

/* Is s a valid man page name?  0 if so, else -1. */
int	 man_name_ok(const char *);

/* The GitHub-style slug of a heading's text ("section" if empty). */
char	*slugify(const char *);

/* Decode %XX escapes of n bytes; invalid ones stay.  Caller frees. */
char	*pct_decode(const char *, size_t);

/*
 * Normalise rel joined to base ("" for the top): "." and empty segments
 * dropped, ".." applied.  NULL when it climbs out.  Caller frees.
 */
char	*path_normalize(const char *base, const char *rel);

/* site (no final slash) and an absolute path, as an href; caller frees. */
char	*site_url(const char *site, const char *path);

/* A URL escaped for an href as cmark escapes it; caller frees. */
char	*href_escape(const char *url);

/* May a link have this scheme (len bytes at url)?  1 or 0. */
int	 scheme_safe(const char *url, size_t len);

/* Does url start with a scheme ("http:")?  Sets *len to its length. */
int	 url_scheme(const char *url, size_t *len);

/* The document at rel (normalised, relative to the index), or NULL. */
struct doc *book_find_doc(struct book *, const char *rel);

/*
 * The image at url (relative to d), registered with the book on first
 * use; NULL, after a warning at line:col, when it cannot be packaged.
 */
const struct image *image_find(struct book *, const struct doc *,
	    const char *url, int line, int col);
void	 image_free(struct image *);	/* and im itself */

/* Resolve every link of d (diagnostics for the unresolved). */
void	 doc_resolve(struct book *, struct doc *);

/* The chapters the index lists, with their parts.  0 or -1. */
int	 summary_chapters(struct book *);

/* Man page names are unique across the book.  0 or -1. */
int	 check_names(struct book *);

/* Fill in the metadata and names the front matter left out. */
void	 book_defaults(struct book *);

#endif
