/*
 * libxml2-sax1-probe: does this libxml2 call the SAX1-style element callbacks of a handler built
 * the way pidgin-sipe builds its own (src/core/sipe-xml.c: initialized = XML_SAX2_MAGIC,
 * startElement/endElement set, startElementNs/endElementNs NULL)?
 *
 * Prints one JSON line: {"libxml2":"<version>","startElement":N,"endElement":N,"characters":N}.
 * Upstream libxml2 calls startElement and endElement twice each for the document below; a
 * libxml2 that calls them 0 times leaves sipe blind (see libxml2-sax1-shim.c). Run with and
 * without the shim preloaded to show both facts.
 */
#include <stdio.h>
#include <string.h>

#include <libxml/parser.h>

static int starts, ends, characters;

static void on_start(void *user_data, const xmlChar *name, const xmlChar **attributes)
{
	(void)user_data;
	(void)name;
	(void)attributes;
	starts++;
}

static void on_end(void *user_data, const xmlChar *name)
{
	(void)user_data;
	(void)name;
	ends++;
}

static void on_characters(void *user_data, const xmlChar *text, int length)
{
	(void)user_data;
	(void)text;
	(void)length;
	characters++;
}

int main(void)
{
	static const char document[] =
		"<RequestSystemStatusResponse xmlns=\"http://www.ecma-international.org/standards/ecma-323/csta/ed3\">"
		"<systemStatus>normal</systemStatus></RequestSystemStatusResponse>";
	xmlSAXHandler handler;
	int rc;

	memset(&handler, 0, sizeof handler);
	handler.startElement = on_start;
	handler.endElement = on_end;
	handler.characters = on_characters;
	handler.initialized = XML_SAX2_MAGIC;
	rc = xmlSAXUserParseMemory(&handler, NULL, document, (int)strlen(document));
	printf("{\"libxml2\":\"%s\",\"result\":%d,\"startElement\":%d,\"endElement\":%d,\"characters\":%d}\n",
	       xmlParserVersion, rc, starts, ends, characters);
	return 0;
}
