/*
 * Front matter: "key: value" lines between --- delimiters at the top of
 * a document, checked and applied to the document and the book.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "load.h"

enum fm_key {
	FM_TITLE, FM_SUBTITLE, FM_LANGUAGE, FM_AUTHOR, FM_VERSION,
	FM_IDENTIFIER, FM_DATE, FM_MANUAL, FM_STYLESHEET, FM_COVER,
	FM_MAN, FM_ALIASES, FM_DESCRIPTION, FM__MAX
};

static const struct {
	const char	*name;
	int		 where;
	int		 repeat;	/* may appear more than once */
} fm_keys[FM__MAX] = {
	{ "title",	 IN_INDEX,	0 },
	{ "subtitle",	 IN_INDEX,	0 },
	{ "language",	 IN_INDEX,	0 },
	{ "author",	 IN_INDEX,	1 },
	{ "version",	 IN_INDEX,	0 },
	{ "identifier",	 IN_INDEX,	0 },
	{ "date",	 IN_BOTH,	0 },
	{ "manual",	 IN_INDEX,	0 },
	{ "stylesheet",	 IN_INDEX,	0 },
	{ "cover",	 IN_INDEX,	0 },
	{ "man",	 IN_BOTH,	0 },
	{ "aliases",	 IN_BOTH,	0 },
	{ "description", IN_BOTH,	0 },
};

struct fm_field {
	enum fm_key	 key;
	char		*value;
	int		 line;
	int		 col;		/* column of the value */
};

struct fm {
	struct fm_field	*f;
	size_t		 n;
};


static void
fm_free(struct fm *fm)
{
	size_t	 i;

	for (i = 0; i < fm->n; i++)
		free(fm->f[i].value);
	free(fm->f);
	fm->f = NULL;
	fm->n = 0;
}

static const struct fm_field *
fm_get(const struct fm *fm, enum fm_key key)
{
	size_t	 i;

	for (i = 0; i < fm->n; i++)
		if (fm->f[i].key == key)
			return &fm->f[i];
	return NULL;
}

/* Is this line (len bytes, no newline) a front-matter delimiter? */
static int
fm_delim(const char *s, size_t len, int closing)
{
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t' ||
	    s[len - 1] == '\r'))
		len--;
	if (len == 3 && memcmp(s, "---", 3) == 0)
		return 1;
	return closing && len == 3 && memcmp(s, "...", 3) == 0;
}

/*
 * Parse "key: value" lines between --- delimiters at the top of text,
 * then blank them (spaces, newlines kept) so that cmark's line numbers
 * stay those of the file.  where says which keys are allowed.
 */
static int
fm_parse(const char *path, char *text, int where, struct fm *fm)
{
	char	*line, *end, *eol, *colon, *key, *val;
	size_t	 k, i;
	int	 lineno = 1, rc = 0, vcol;

	eol = strchr(text, '\n');
	if (!fm_delim(text, eol ? (size_t)(eol - text) : strlen(text), 0))
		return 0;
	if (eol == NULL) {
		diag_error(path, 1, 1, "front matter is not closed by '---'");
		return -1;
	}
	for (end = eol + 1; ; end = eol + 1) {
		eol = strchr(end, '\n');
		if (fm_delim(end, eol ? (size_t)(eol - end) : strlen(end), 1))
			break;
		if (eol == NULL) {
			diag_error(path, 1, 1,
			    "front matter is not closed by '---'");
			return -1;
		}
	}
	end = eol ? eol : end + strlen(end);	/* end of closing line */

	for (line = strchr(text, '\n') + 1; line < end; line = eol + 1) {
		lineno++;
		eol = strchr(line, '\n');
		if (eol == NULL || eol >= end)
			break;
		*eol = '\0';
		key = line;
		while (*key == ' ' || *key == '\t')
			key++;
		if (*key == '\0' || *key == '\r' || *key == '#') {
			*eol = '\n';
			continue;
		}
		colon = key;
		while (*colon == '-' || *colon == '_' ||
		    isalnum((unsigned char)*colon))
			colon++;
		if (colon == key || *colon != ':') {
			diag_error(path, lineno, (int)(colon - line) + 1,
			    "cannot read front-matter line: expected "
			    "'key: value'");
			*eol = '\n';
			rc = -1;
			continue;
		}
		*colon = '\0';
		for (k = 0; k < FM__MAX; k++)
			if (strcmp(fm_keys[k].name, key) == 0)
				break;
		val = colon + 1;
		while (*val == ' ' || *val == '\t')
			val++;
		vcol = (int)(val - line) + 1;
		if (k == FM__MAX || !(fm_keys[k].where & where)) {
			diag_error(path, lineno, (int)(key - line) + 1,
			    "unknown front-matter key '%s'", key);
			rc = -1;
		} else if (!fm_keys[k].repeat && fm_get(fm, (enum fm_key)k)) {
			diag_error(path, lineno, (int)(key - line) + 1,
			    "front-matter key '%s' given twice", key);
			rc = -1;
		} else {
			val = str_trim(val);
			i = strlen(val);
			if (i >= 2 && (val[0] == '"' || val[0] == '\'') &&
			    val[i - 1] == val[0]) {
				val[i - 1] = '\0';
				val++;
				vcol++;
			}
			if (*val == '\0') {
				diag_error(path, lineno, vcol,
				    "front-matter key '%s' has no value",
				    key);
				rc = -1;
			} else {
				fm->f = xreallocarray(fm->f, fm->n + 1,
				    sizeof(*fm->f));
				fm->f[fm->n].key = (enum fm_key)k;
				fm->f[fm->n].value = xstrdup(val);
				fm->f[fm->n].line = lineno;
				fm->f[fm->n].col = vcol;
				fm->n++;
			}
		}
		*colon = ':';
		*eol = '\n';
	}
	/* Blank the whole block, delimiters included. */
	for (line = text; line < end; line++)
		if (*line != '\n')
			*line = ' ';
	return rc;
}

/* Validators for front-matter values: 0 when good. */

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

static int
check_line(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20)
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

/*
 * Apply a document's front matter: the fields shared by chapters and
 * the index go to the doc, the book fields (index only) to the book.
 */
static int
fm_apply(struct book *b, struct doc *d, const struct fm *fm)
{
	const struct fm_field	*f;
	size_t			 i;
	int			 rc = 0;

	for (i = 0; i < fm->n; i++) {
		f = &fm->f[i];
		if (check_line(f->value) == -1) {
			diag_error(d->path, f->line, f->col,
			    "control character in '%s'", fm_keys[f->key].name);
			rc = -1;
			continue;
		}
		switch (f->key) {
		case FM_TITLE:
			b->title = xstrdup(f->value);
			break;
		case FM_SUBTITLE:
			b->subtitle = xstrdup(f->value);
			break;
		case FM_LANGUAGE:
			if (check_language(f->value) == -1) {
				diag_error(d->path, f->line, f->col,
				    "language '%s' is not a BCP 47 tag",
				    f->value);
				rc = -1;
			} else
				b->language = xstrdup(f->value);
			break;
		case FM_AUTHOR:
			b->authors = xreallocarray(b->authors,
			    b->nauthors + 1, sizeof(*b->authors));
			b->authors[b->nauthors++] = xstrdup(f->value);
			break;
		case FM_VERSION:
			b->version = xstrdup(f->value);
			break;
		case FM_IDENTIFIER:
			b->identifier = xstrdup(f->value);
			break;
		case FM_MANUAL:
			b->manual = xstrdup(f->value);
			break;
		case FM_STYLESHEET:
			b->stylesheet = path_join(b->dir, f->value);
			break;
		case FM_COVER:
			b->cover = path_join(b->dir, f->value);
			break;
		case FM_DATE:
			if (check_date(f->value) == -1) {
				diag_error(d->path, f->line, f->col,
				    "date '%s' is not YYYY-MM-DD", f->value);
				rc = -1;
			} else
				d->date = xstrdup(f->value);
			break;
		case FM_MAN:
			d->man_line = f->line;
			if (man_name_ok(f->value) == -1) {
				diag_error(d->path, f->line, f->col,
				    "'%s' is not a valid man page name",
				    f->value);
				rc = -1;
			} else
				d->man = xstrdup(f->value);
			break;
		case FM_ALIASES:
			d->aliases_line = f->line;
			split_list(f->value, &d->aliases, &d->naliases);
			for (size_t j = 0; j < d->naliases; j++)
				if (man_name_ok(d->aliases[j]) == -1) {
					diag_error(d->path, f->line, f->col,
					    "'%s' is not a valid man page "
					    "name", d->aliases[j]);
					rc = -1;
				}
			break;
		case FM_DESCRIPTION:
			d->description = xstrdup(f->value);
			break;
		case FM__MAX:
			abort();
		}
	}
	return rc;
}

int
frontmatter_apply(struct book *b, struct doc *d, int where)
{
	struct fm	 fm = { NULL, 0 };
	int		 rc = 0;

	if (fm_parse(d->path, d->text, where, &fm) == -1)
		rc = -1;
	if (fm_apply(b, d, &fm) == -1)
		rc = -1;
	fm_free(&fm);
	return rc;
}
