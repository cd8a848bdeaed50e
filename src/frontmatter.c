/*
 * Front matter: "key: value" lines between --- delimiters at the top of
 * a document, checked and applied to the document and the book.  The
 * block is blanked afterwards (newlines kept), so that cmark's line
 * numbers stay those of the file.
 *
 * Other tools' front matter (Jekyll, Hugo, Docusaurus) is read, not
 * refused: a key guidebook does not know is a warning, once per key in
 * the book (none for the keys the index names in ignore-keys), and its
 * value, one line or several (an indented or "- " list), is skipped.
 * Hugo's TOML block (+++, key = "value") is read the same way.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "load.h"

enum fm_key {
	FM_TITLE, FM_SUBTITLE, FM_LANGUAGE, FM_AUTHOR, FM_VERSION,
	FM_IDENTIFIER, FM_DATE, FM_MANUAL, FM_STYLESHEET, FM_COVER,
	FM_MAN, FM_ALIASES, FM_DESCRIPTION, FM_IGNORE, FM_SITE, FM__MAX
};

/* Validators: 0 when the value is good. */
static int	check_date(const char *);
static int	check_language(const char *);
static int	check_man_list(const char *);
static int	check_keys(const char *);
static int	check_site(const char *);

static const struct {
	const char	*name;
	int		 where;
	int		 repeat;	/* may appear more than once */
	int		(*check)(const char *);
	const char	*invalid;	/* what a failed check means */
} fm_keys[FM__MAX] = {
	{ "title",	 IN_BOTH,	0, NULL, NULL },
	{ "subtitle",	 IN_INDEX,	0, NULL, NULL },
	{ "language",	 IN_INDEX,	0, check_language,
	    "is not a BCP 47 tag" },
	{ "author",	 IN_INDEX,	1, NULL, NULL },
	{ "version",	 IN_INDEX,	0, NULL, NULL },
	{ "identifier",	 IN_INDEX,	0, NULL, NULL },
	{ "date",	 IN_BOTH,	0, check_date, "is not YYYY-MM-DD" },
	{ "manual",	 IN_INDEX,	0, NULL, NULL },
	{ "stylesheet",	 IN_INDEX,	0, NULL, NULL },
	{ "cover",	 IN_INDEX,	0, NULL, NULL },
	{ "man",	 IN_BOTH,	0, check_man_list,
	    "is not a valid man page name" },
	{ "aliases",	 IN_BOTH,	0, check_man_list,
	    "is not a list of valid man page names" },
	{ "description", IN_BOTH,	0, NULL, NULL },
	{ "ignore-keys", IN_INDEX,	0, check_keys,
	    "is not a list of front-matter keys" },
	{ "site",	 IN_INDEX,	0, check_site,
	    "is not an http or https URL" },
};

struct fm_field {
	enum fm_key	 key;
	char		*value;
	int		 line;
	int		 col;		/* column of the value */
};

/* A key guidebook does not read, kept until ignore-keys is known. */
struct fm_unknown {
	char		*key;
	int		 line;
};

struct front_matter {
	struct fm_field	*f;
	size_t		 n;
	struct fm_unknown *u;
	size_t		 nu;
	char		 sep;		/* ':' (YAML, ---) or '=' (TOML, +++) */
};

static void
fm_free(struct front_matter *fm)
{
	size_t	 i;

	for (i = 0; i < fm->n; i++)
		free(fm->f[i].value);
	free(fm->f);
	for (i = 0; i < fm->nu; i++)
		free(fm->u[i].key);
	free(fm->u);
}

static int
fm_has(const struct front_matter *fm, enum fm_key key)
{
	size_t	 i;

	for (i = 0; i < fm->n; i++)
		if (fm->f[i].key == key)
			return 1;
	return 0;
}

/*
 * Is this line (len bytes, no newline) a front-matter delimiter: ---
 * (YAML, closed by --- or ...) or +++ (TOML, Hugo's)?  Returns the
 * key-value separator, or 0.
 */
static char
fm_delim(const char *s, size_t len, int closing, char sep)
{
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t' ||
	    s[len - 1] == '\r'))
		len--;
	if (len != 3)
		return 0;
	if (memcmp(s, "+++", 3) == 0 && sep != ':')
		return '=';
	if (sep != '=' && (memcmp(s, "---", 3) == 0 ||
	    (closing && memcmp(s, "...", 3) == 0)))
		return ':';
	return 0;
}

/*
 * Warn about an unknown key once per book: b->fm_unknown remembers the
 * keys already named.
 */
static void
unknown_key(struct book *b, const char *path, int line, int col,
    const char *key, int where)
{
	size_t	 i;

	for (i = 0; i < b->nfm_ignore; i++)
		if (strcmp(b->fm_ignore[i], key) == 0)
			return;
	for (i = 0; i < b->nfm_unknown; i++)
		if (strcmp(b->fm_unknown[i], key) == 0)
			return;
	b->fm_unknown = xreallocarray(b->fm_unknown, b->nfm_unknown + 1,
	    sizeof(*b->fm_unknown));
	b->fm_unknown[b->nfm_unknown++] = xstrdup(key);
	diag_warn(path, line, col, "front-matter key '%s' is not read in "
	    "%s; ignored (once per book; see ignore-keys)", key,
	    where == IN_CHAPTER ? "a chapter" : "the index");
}

/* The value of a "key: value" line, unquoted, trimmed; *col moves. */
static char *
fm_value(char *val, int *col)
{
	size_t	 n;

	while (*val == ' ' || *val == '\t') {
		val++;
		++*col;
	}
	val = str_trim(val);
	n = strlen(val);
	if (n >= 2 && (val[0] == '"' || val[0] == '\'') &&
	    val[n - 1] == val[0]) {
		val[n - 1] = '\0';
		val++;
		++*col;
	}
	return val;
}

/*
 * One line of the block (NUL-terminated, no newline).  *skipping is set
 * while the lines of an ignored key's value go by.  0 or -1.
 */
static int
fm_line(const char *path, char *line, int lineno, int where, struct front_matter *fm,
    int *skipping)
{
	char	*key, *colon, *val;
	size_t	 k;
	int	 vcol;

	key = line + strspn(line, " \t");
	if (*key == '\0' || *key == '\r' || *key == '#')
		return 0;
	if (key != line || *key == '-') {
		/* A continuation: an indented line or a "- item". */
		if (*skipping)
			return 0;
		diag_error(path, lineno, (int)(key - line) + 1, "front-matter "
		    "values take one line: expected 'key%s value'",
		    fm->sep == ':' ? ":" : " =");
		return -1;
	}
	colon = key;
	while (*colon == '-' || *colon == '_' || isalnum((unsigned char)*colon))
		colon++;
	if (fm->sep == '=')
		while (*colon == ' ' || *colon == '\t')
			*colon++ = '\0';
	if (colon == key || *colon != fm->sep) {
		diag_error(path, lineno, (int)(colon - line) + 1,
		    "cannot read front-matter line: expected 'key%s value'",
		    fm->sep == ':' ? ":" : " =");
		return -1;
	}
	*colon = '\0';
	*skipping = 0;
	for (k = 0; k < FM__MAX; k++)
		if (strcmp(fm_keys[k].name, key) == 0)
			break;
	vcol = (int)(colon + 1 - line) + 1;
	val = fm_value(colon + 1, &vcol);
	if (k == FM__MAX || !(fm_keys[k].where & where)) {
		fm->u = xreallocarray(fm->u, fm->nu + 1, sizeof(*fm->u));
		fm->u[fm->nu].key = xstrdup(key);
		fm->u[fm->nu++].line = lineno;
		*skipping = 1;
		return 0;
	}
	if (!fm_keys[k].repeat && fm_has(fm, (enum fm_key)k)) {
		diag_error(path, lineno, 1, "front-matter key '%s' given "
		    "twice", key);
		return -1;
	}
	if (*val == '\0') {
		diag_error(path, lineno, vcol, "front-matter key '%s' has no "
		    "value", key);
		return -1;
	}
	fm->f = xreallocarray(fm->f, fm->n + 1, sizeof(*fm->f));
	fm->f[fm->n].key = (enum fm_key)k;
	fm->f[fm->n].value = xstrdup(val);
	fm->f[fm->n].line = lineno;
	fm->f[fm->n].col = vcol;
	fm->n++;
	return 0;
}

/*
 * Does the block after the opening --- start with "key:"?  Otherwise
 * the --- is Markdown: a thematic break or a setext underline.
 */
static int
looks_like_keys(const char *eol, char sep)
{
	const char	*s, *key;

	if (eol == NULL)
		return 0;
	for (s = eol + 1; *s == '\n' || *s == '\r' || *s == ' ' ||
	    *s == '\t'; s++)
		;
	for (key = s; *s == '-' || *s == '_' || isalnum((unsigned char)*s);
	    s++)
		;
	if (sep == '=')
		s += strspn(s, " \t");
	return *s == sep && s > key;
}

/*
 * Read the block between --- (or +++) delimiters at the top of text
 * into fm, then blank it.  where says which keys are allowed.
 */
static int
fm_parse(const char *path, char *text, int where, struct front_matter *fm)
{
	char	*line, *end, *eol;
	int	 lineno = 1, rc = 0, skipping = 0;

	eol = strchr(text, '\n');
	fm->sep = fm_delim(text, eol ? (size_t)(eol - text) : strlen(text),
	    0, 0);
	if (fm->sep == 0 || !looks_like_keys(eol, fm->sep))
		return 0;
	for (end = eol; ; end = eol) {
		if (end == NULL) {
			diag_error(path, 1, 1, "front matter is not closed by "
			    "'%s'", fm->sep == ':' ? "---" : "+++");
			return -1;
		}
		eol = strchr(end + 1, '\n');
		if (fm_delim(end + 1, eol ? (size_t)(eol - end - 1) :
		    strlen(end + 1), 1, fm->sep))
			break;
	}
	end = eol ? eol : end + 1 + strlen(end + 1);	/* closing line's end */
	for (line = strchr(text, '\n') + 1; line < end; line = eol + 1) {
		lineno++;
		eol = strchr(line, '\n');
		if (eol == NULL || eol >= end)
			break;
		*eol = '\0';
		if (fm_line(path, line, lineno, where, fm, &skipping) == -1)
			rc = -1;
		*eol = '\n';
	}
	for (line = text; line < end; line++)
		if (*line != '\n')
			*line = ' ';
	return rc;
}

static int
check_date(const char *s)
{
	int	 y, m, d, i;
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };

	for (i = 0; i < 10; i++)
		if ((i == 4 || i == 7) ? s[i] != '-' :
		    !isdigit((unsigned char)s[i]))
			return -1;
	if (s[10] != '\0')
		return -1;
	y = atoi(s);
	m = atoi(s + 5);
	d = atoi(s + 8);
	if (y < 1 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return -1;
	return 0;
}

/* BCP 47, syntactically: a 2-8 letter primary subtag, then subtags. */
static int
check_language(const char *s)
{
	size_t	 n = 0;
	int	 first = 1;

	for (;; s++) {
		if (*s == '-' || *s == '\0') {
			if (n < (first ? 2u : 1u) || n > 8)
				return -1;
			if (*s == '\0')
				return 0;
			first = 0;
			n = 0;
		} else if (first ? isalpha((unsigned char)*s) :
		    isalnum((unsigned char)*s))
			n++;
		else
			return -1;
	}
}

int
man_name_ok(const char *s)
{
	if (!isalnum((unsigned char)*s))
		return -1;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && strchr("._+-", *s) == NULL)
			return -1;
	return 0;
}

/* Split "a, b , c" into trimmed words (caller frees each and *out). */
static void
split_list(const char *s, char ***out, size_t *n)
{
	char	*copy, *word, *next;

	copy = xstrdup(s);
	for (word = copy; word != NULL; word = next) {
		if ((next = strchr(word, ',')) != NULL)
			*next++ = '\0';
		word = str_trim(word);
		if (*word == '\0')
			continue;
		*out = xreallocarray(*out, *n + 1, sizeof(**out));
		(*out)[(*n)++] = xstrdup(word);
	}
	free(copy);
}

/* A comma-separated list of man page names, each valid. */
static int
check_man_list(const char *s)
{
	char	**names = NULL;
	size_t	  n = 0, i;
	int	  rc = 0;

	split_list(s, &names, &n);
	for (i = 0; i < n; i++) {
		if (man_name_ok(names[i]) == -1)
			rc = -1;
		free(names[i]);
	}
	free(names);
	return n == 0 ? -1 : rc;
}

/* A comma-separated list of key names. */
static int
check_keys(const char *s)
{
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && strchr("-_, ", *s) == NULL)
			return -1;
	return 0;
}

/* The web site the book's pages also live on: http(s)://host... */
static int
check_site(const char *s)
{
	if (strncmp(s, "https://", 8) != 0 && strncmp(s, "http://", 7) != 0)
		return -1;
	return strpbrk(s, " \t\"<>") == NULL ? 0 : -1;
}

/* Store a checked value where it belongs: the doc or the book. */
static void
fm_store(struct book *b, struct doc *d, const struct fm_field *f)
{
	const char	*v = f->value;

	switch (f->key) {
	case FM_TITLE:
		if (d == &b->summary)
			b->title = xstrdup(v);
		else
			d->front_title = xstrdup(v);
		break;
	case FM_SUBTITLE:
		b->subtitle = xstrdup(v);
		break;
	case FM_LANGUAGE:
		b->language = xstrdup(v);
		break;
	case FM_AUTHOR:
		b->authors = xreallocarray(b->authors, b->nauthors + 1,
		    sizeof(*b->authors));
		b->authors[b->nauthors++] = xstrdup(v);
		break;
	case FM_VERSION:
		b->version = xstrdup(v);
		break;
	case FM_IDENTIFIER:
		b->identifier = xstrdup(v);
		break;
	case FM_MANUAL:
		b->manual = xstrdup(v);
		break;
	case FM_STYLESHEET:
		b->stylesheet = path_join(b->dir, v);
		break;
	case FM_COVER:
		b->cover = path_join(b->dir, v);
		break;
	case FM_DATE:
		d->date = xstrdup(v);
		break;
	case FM_MAN:
		d->man_line = f->line;
		d->man = xstrdup(v);
		break;
	case FM_ALIASES:
		d->aliases_line = f->line;
		split_list(v, &d->aliases, &d->naliases);
		break;
	case FM_DESCRIPTION:
		d->description = xstrdup(v);
		break;
	case FM_IGNORE:
		split_list(v, &b->fm_ignore, &b->nfm_ignore);
		break;
	case FM_SITE:
		/* Without its final slash: paths start with one. */
		b->site = xstrndup(v, strlen(v) - (v[strlen(v) - 1] == '/'));
		break;
	case FM__MAX:
		abort();
	}
}

int
frontmatter_apply(struct book *b, struct doc *d, int where)
{
	const struct fm_field	*f;
	struct front_matter	 fm;
	const char		*s;
	size_t			 i;
	int			 rc;

	memset(&fm, 0, sizeof(fm));
	rc = fm_parse(d->path, d->text, where, &fm);
	for (i = 0; i < fm.n; i++) {
		f = &fm.f[i];
		for (s = f->value; *s != '\0' && (unsigned char)*s >= 0x20; s++)
			;
		if (*s != '\0') {
			diag_error(d->path, f->line, f->col, "control "
			    "character in '%s'", fm_keys[f->key].name);
			rc = -1;
		} else if (fm_keys[f->key].check != NULL &&
		    fm_keys[f->key].check(f->value) == -1) {
			diag_error(d->path, f->line, f->col, "%s '%s' %s",
			    fm_keys[f->key].name, f->value,
			    fm_keys[f->key].invalid);
			rc = -1;
		} else
			fm_store(b, d, f);
	}
	/* After the index's ignore-keys: its own keys may be in it. */
	for (i = 0; i < fm.nu; i++)
		unknown_key(b, d->path, fm.u[i].line, 1, fm.u[i].key, where);
	fm_free(&fm);
	return rc;
}
