/*
 * sipe-host: a headless libpurple host that runs the real pidgin-sipe plugin for Deskline's
 * real-client tests (gateway/test/real-sipe/, docs/msrcc.md).
 *
 * It signs one sipe account in and is driven line by line on stdin; everything it has to say
 * goes to stdout as one JSON object per line:
 *
 *   stdin                      stdout
 *   call <tel URI>             {"type":"call","ok":true,"label":"Work +3222220220"}
 *                              (or ok:false with the menu sipe offered: sipe lists phone numbers
 *                              in a buddy's menu only while its RCC line is idle)
 *   menu                       {"type":"menu","labels":[...]}
 *   signout                    {"type":"signed-out"}   (sipe's close: MonitorStop, BYE, de-REGISTER)
 *   quit                       exits
 *                              {"type":"ready",...}, {"type":"connection","state":...},
 *                              {"type":"connection-error",...}, {"type":"debug",...}
 *
 * The call goes the way a Pidgin user places it: the buddy menu item "Work <number>" that sipe
 * builds in sipe_core_buddy_create_menu() (src/core/sipe-buddy.c) when its CSTA line is idle; its
 * callback is sipe's own, which sends CSTA MakeCall in the RCC dialog. The buddy carries the
 * number in the blist node setting "phone", where sipe keeps a contact's work phone.
 *
 * libpurple's debug output is how sipe reports what it understood (the gateway status, the
 * monitorCrossRefID, the callID of MakeCallResponse, every event it accepted or ignored): every
 * line is forwarded as a "debug" object. Nothing is printed by libpurple itself on stdout.
 *
 * Usage: sipe-host --plugin-dir DIR --user-dir DIR --account USER@DOMAIN --server HOST:PORT
 *                  [--max-seconds N]
 *
 * Exits on stdin EOF (the test process went away) and after --max-seconds at the latest, so a
 * crashed test never leaves it behind.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>
#include <purple.h>

#define UI_ID "deskline-sipe-host"
#define CALLEE_NAME_PREFIX "sip:rcc-callee@"
#define CALL_LABEL_PREFIX "Work "

static GMainLoop *main_loop;
static PurpleAccount *account;
static gchar *account_domain;

/* ---------------------------------------------------------------- JSON lines on stdout */

static void json_string(GString *out, const char *text)
{
	const unsigned char *p;
	g_string_append_c(out, '"');
	for (p = (const unsigned char *)(text ? text : ""); *p; p++) {
		switch (*p) {
		case '"': g_string_append(out, "\\\""); break;
		case '\\': g_string_append(out, "\\\\"); break;
		case '\n': g_string_append(out, "\\n"); break;
		case '\r': g_string_append(out, "\\r"); break;
		case '\t': g_string_append(out, "\\t"); break;
		default:
			if (*p < 0x20)
				g_string_append_printf(out, "\\u%04x", *p);
			else
				g_string_append_c(out, (char)*p);
		}
	}
	g_string_append_c(out, '"');
}

/* Emits {"type":type, key1:value1, ...} with string values; the list ends with NULL. */
static void emit(const char *type, ...)
{
	GString *out = g_string_new("{\"type\":");
	va_list ap;
	const char *key;

	json_string(out, type);
	va_start(ap, type);
	while ((key = va_arg(ap, const char *)) != NULL) {
		const char *value = va_arg(ap, const char *);
		g_string_append_c(out, ',');
		json_string(out, key);
		g_string_append_c(out, ':');
		json_string(out, value);
	}
	va_end(ap);
	g_string_append(out, "}\n");
	fputs(out->str, stdout);
	fflush(stdout);
	g_string_free(out, TRUE);
}

/* ---------------------------------------------------------------- libpurple UI operations */

typedef struct {
	PurpleInputFunction function;
	guint result;
	gpointer data;
} InputClosure;

static gboolean input_dispatch(GIOChannel *source, GIOCondition condition, gpointer data)
{
	InputClosure *closure = data;
	PurpleInputCondition purple_condition = 0;

	if (condition & (G_IO_IN | G_IO_HUP | G_IO_ERR))
		purple_condition |= PURPLE_INPUT_READ;
	if (condition & (G_IO_OUT | G_IO_HUP | G_IO_ERR | G_IO_NVAL))
		purple_condition |= PURPLE_INPUT_WRITE;
	closure->function(closure->data, g_io_channel_unix_get_fd(source), purple_condition);
	return TRUE;
}

static guint input_add(gint fd, PurpleInputCondition condition, PurpleInputFunction function, gpointer data)
{
	InputClosure *closure = g_new0(InputClosure, 1);
	GIOChannel *channel = g_io_channel_unix_new(fd);
	GIOCondition watch = 0;

	closure->function = function;
	closure->data = data;
	if (condition & PURPLE_INPUT_READ)
		watch |= G_IO_IN | G_IO_HUP | G_IO_ERR;
	if (condition & PURPLE_INPUT_WRITE)
		watch |= G_IO_OUT | G_IO_HUP | G_IO_ERR | G_IO_NVAL;
	closure->result = g_io_add_watch_full(channel, G_PRIORITY_DEFAULT, watch, input_dispatch,
					      closure, g_free);
	g_io_channel_unref(channel);
	return closure->result;
}

static PurpleEventLoopUiOps event_loop_ops = {
	g_timeout_add,
	g_source_remove,
	input_add,
	g_source_remove,
	NULL, /* input_get_error: libpurple falls back to getsockopt */
	g_timeout_add_seconds,
	NULL, NULL, NULL
};

static void debug_print(PurpleDebugLevel level, const char *category, const char *message)
{
	static const char *levels[] = { "all", "misc", "info", "warning", "error", "fatal" };
	gchar *trimmed = g_strdup(message ? message : "");
	g_strchomp(trimmed);
	emit("debug",
	     "level", (level >= 0 && level <= PURPLE_DEBUG_FATAL) ? levels[level] : "unknown",
	     "category", category ? category : "",
	     "message", trimmed,
	     NULL);
	g_free(trimmed);
}

static gboolean debug_is_enabled(PurpleDebugLevel level, const char *category)
{
	(void)level;
	(void)category;
	return TRUE;
}

static PurpleDebugUiOps debug_ops = {
	debug_print,
	debug_is_enabled,
	NULL, NULL, NULL, NULL
};

static void report_disconnect_reason(PurpleConnection *gc, PurpleConnectionError reason, const char *text)
{
	gchar *code = g_strdup_printf("%d", (int)reason);
	(void)gc;
	emit("connection-error", "reason", code, "description", text ? text : "", NULL);
	g_free(code);
}

static void connected(PurpleConnection *gc)
{
	(void)gc;
	emit("connection", "state", "connected", NULL);
}

static void disconnected(PurpleConnection *gc)
{
	(void)gc;
	emit("connection", "state", "disconnected", NULL);
}

static PurpleConnectionUiOps connection_ops = {
	NULL, /* connect_progress */
	connected,
	disconnected,
	NULL, /* notice */
	NULL, /* report_disconnect (deprecated) */
	NULL, /* network_connected */
	NULL, /* network_disconnected */
	report_disconnect_reason,
	NULL, NULL, NULL
};

static void ui_init(void)
{
	purple_connections_set_ui_ops(&connection_ops);
}

static PurpleCoreUiOps core_ops = {
	NULL, NULL, ui_init, NULL, NULL, NULL, NULL, NULL
};

/* ---------------------------------------------------------------- the call action */

static PurpleBuddy *callee(const char *tel_uri)
{
	gchar *name = g_strconcat(CALLEE_NAME_PREFIX, account_domain, NULL);
	PurpleBuddy *buddy = purple_find_buddy(account, name);

	if (buddy == NULL) {
		PurpleGroup *group = purple_find_group("RCC");
		if (group == NULL) {
			group = purple_group_new("RCC");
			purple_blist_add_group(group, NULL);
		}
		buddy = purple_buddy_new(account, name, "RCC callee");
		purple_blist_add_buddy(buddy, NULL, group, NULL);
	}
	/* SIPE_BUDDY_INFO_WORK_PHONE is stored as the node setting "phone" (src/purple/purple-buddy.c). */
	if (tel_uri != NULL)
		purple_blist_node_set_string((PurpleBlistNode *)buddy, "phone", tel_uri);
	g_free(name);
	return buddy;
}

static void free_menu(GList *menu)
{
	GList *item;
	for (item = menu; item; item = item->next) {
		PurpleMenuAction *action = item->data;
		if (action == NULL)
			continue;
		free_menu(action->children);
		action->children = NULL;
		purple_menu_action_free(action);
	}
	g_list_free(menu);
}

static GList *buddy_menu(PurpleBuddy *buddy)
{
	PurplePlugin *prpl = purple_find_prpl(purple_account_get_protocol_id(account));
	PurplePluginProtocolInfo *info = prpl ? PURPLE_PLUGIN_PROTOCOL_INFO(prpl) : NULL;

	if (info == NULL || info->blist_node_menu == NULL || !purple_account_is_connected(account))
		return NULL;
	return info->blist_node_menu((PurpleBlistNode *)buddy);
}

static void menu_labels(GString *out, GList *menu)
{
	GList *item;
	gboolean first = TRUE;
	g_string_append_c(out, '[');
	for (item = menu; item; item = item->next) {
		PurpleMenuAction *action = item->data;
		if (action == NULL || action->label == NULL)
			continue;
		if (!first)
			g_string_append_c(out, ',');
		json_string(out, action->label);
		first = FALSE;
	}
	g_string_append_c(out, ']');
}

static void command_menu(void)
{
	GList *menu = buddy_menu(callee(NULL));
	GString *out = g_string_new("{\"type\":\"menu\",\"labels\":");
	menu_labels(out, menu);
	g_string_append(out, "}\n");
	fputs(out->str, stdout);
	fflush(stdout);
	g_string_free(out, TRUE);
	free_menu(menu);
}

static void command_call(const char *tel_uri)
{
	PurpleBuddy *buddy;
	GList *menu;
	GList *item;

	if (!purple_account_is_connected(account)) {
		emit("call", "ok", "false", "reason", "the account is not signed in", NULL);
		return;
	}
	buddy = callee(tel_uri);
	menu = buddy_menu(buddy);
	for (item = menu; item; item = item->next) {
		PurpleMenuAction *action = item->data;
		if (action && action->label && action->callback &&
		    g_str_has_prefix(action->label, CALL_LABEL_PREFIX)) {
			gchar *label = g_strdup(action->label);
			/* What Pidgin does when the menu item is chosen: sipe's own callback, with the
			 * item's number. sipe 1.25 builds the item with a pointer to the buddy's phone
			 * string and frees that string right away (buddy_menu_phone() in
			 * src/core/sipe-buddy.c), so action->data dangles by the time anyone clicks: we
			 * pass the number the item was built from, the buddy's "phone" setting. */
			((void (*)(PurpleBlistNode *, gpointer))action->callback)((PurpleBlistNode *)buddy,
										   (gpointer)tel_uri);
			emit("call", "ok", "true", "label", label, NULL);
			g_free(label);
			free_menu(menu);
			return;
		}
	}
	{
		GString *out = g_string_new("{\"type\":\"call\",\"ok\":\"false\",\"reason\":");
		json_string(out, "sipe offers no call action: its RCC line is not idle or RCC is not open");
		g_string_append(out, ",\"labels\":");
		menu_labels(out, menu);
		g_string_append(out, "}\n");
		fputs(out->str, stdout);
		fflush(stdout);
		g_string_free(out, TRUE);
	}
	free_menu(menu);
}

static gboolean quit_loop(gpointer data)
{
	(void)data;
	g_main_loop_quit(main_loop);
	return FALSE;
}

static void command_signout(void)
{
	/* sipe's close: sip_csta_close() (MonitorStop, BYE), unsubscribe, de-REGISTER. */
	purple_account_set_enabled(account, UI_ID, FALSE);
	if (!purple_account_is_disconnected(account))
		purple_account_disconnect(account);
	emit("signed-out", NULL);
}

static gboolean stdin_readable(GIOChannel *channel, GIOCondition condition, gpointer data)
{
	gchar *line = NULL;
	gsize length = 0;
	GIOStatus status;
	(void)data;

	if (condition & (G_IO_HUP | G_IO_ERR)) {
		if (!(condition & G_IO_IN)) {
			g_main_loop_quit(main_loop);
			return FALSE;
		}
	}
	status = g_io_channel_read_line(channel, &line, &length, NULL, NULL);
	if (status == G_IO_STATUS_EOF || status == G_IO_STATUS_ERROR) {
		g_free(line);
		g_main_loop_quit(main_loop);
		return FALSE;
	}
	if (status != G_IO_STATUS_NORMAL || line == NULL)
		return TRUE;
	g_strstrip(line);
	if (g_str_has_prefix(line, "call ")) {
		command_call(g_strstrip(line + 5));
	} else if (strcmp(line, "menu") == 0) {
		command_menu();
	} else if (strcmp(line, "signout") == 0) {
		command_signout();
	} else if (strcmp(line, "quit") == 0) {
		g_idle_add(quit_loop, NULL);
	} else if (line[0] != '\0') {
		emit("error", "message", "unknown command", "command", line, NULL);
	}
	g_free(line);
	return TRUE;
}

/* ---------------------------------------------------------------- start-up */

static const char *option(int argc, char **argv, const char *name, const char *fallback)
{
	int i;
	for (i = 1; i + 1 < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return argv[i + 1];
	return fallback;
}

static gboolean watchdog(gpointer data)
{
	(void)data;
	emit("error", "message", "--max-seconds reached: exiting", NULL);
	g_main_loop_quit(main_loop);
	return FALSE;
}

int main(int argc, char **argv)
{
	const char *plugin_dir = option(argc, argv, "--plugin-dir", NULL);
	const char *user_dir = option(argc, argv, "--user-dir", NULL);
	const char *username = option(argc, argv, "--account", NULL);
	const char *server = option(argc, argv, "--server", NULL);
	guint max_seconds = (guint)atoi(option(argc, argv, "--max-seconds", "900"));
	PurplePlugin *plugin;
	GIOChannel *input;
	const char *at;

	if (plugin_dir == NULL || user_dir == NULL || username == NULL || server == NULL ||
	    (at = strchr(username, '@')) == NULL) {
		fprintf(stderr, "usage: %s --plugin-dir DIR --user-dir DIR --account USER@DOMAIN "
				"--server HOST:PORT [--max-seconds N]\n", argv[0]);
		return 2;
	}
	account_domain = g_strdup(at + 1);
	signal(SIGPIPE, SIG_IGN);

	main_loop = g_main_loop_new(NULL, FALSE);
	purple_util_set_user_dir(user_dir);
	/* Debug goes through debug_ops only (purple_debug_set_enabled would also print to stdout);
	 * verbose makes sipe produce its SIPE_DEBUG_* lines. */
	purple_debug_set_enabled(FALSE);
	purple_debug_set_verbose(TRUE);
	purple_debug_set_ui_ops(&debug_ops);
	purple_core_set_ui_ops(&core_ops);
	purple_eventloop_set_ui_ops(&event_loop_ops);
	/* The Debian plugin lives outside libpurple's default search path. */
	purple_plugins_add_search_path(plugin_dir);

	if (!purple_core_init(UI_ID)) {
		emit("error", "message", "libpurple failed to initialize", NULL);
		return 1;
	}
	purple_set_blist(purple_blist_new());
	purple_blist_load();
	purple_prefs_load();
	/* No sounds, no idle reporting, no proxy from the environment. */
	purple_prefs_set_string("/purple/proxy/type", "none");

	plugin = purple_plugins_find_with_id("prpl-sipe");
	if (plugin == NULL) {
		emit("error", "message", "the sipe protocol plugin (prpl-sipe) was not found", "pluginDir",
		     plugin_dir, NULL);
		return 1;
	}

	account = purple_account_new(username, "prpl-sipe");
	purple_account_set_password(account, "deskline-test-not-a-secret");
	purple_account_set_string(account, "server", server);
	purple_account_set_string(account, "transport", "tcp");
	purple_account_set_string(account, "authentication", "ntlm");
	/* No calendar: sipe would otherwise look for an Exchange server of the domain. */
	purple_account_set_bool(account, "dont-publish", TRUE);
	purple_accounts_add(account);

	emit("ready",
	     "libpurple", purple_core_get_version(),
	     "sipe", plugin->info && plugin->info->version ? plugin->info->version : "",
	     "plugin", plugin->path ? plugin->path : "",
	     NULL);

	input = g_io_channel_unix_new(STDIN_FILENO);
	g_io_add_watch(input, G_IO_IN | G_IO_HUP | G_IO_ERR, stdin_readable, NULL);
	g_timeout_add_seconds(max_seconds, watchdog, NULL);

	purple_account_set_enabled(account, UI_ID, TRUE);
	purple_savedstatus_activate(purple_savedstatus_new(NULL, PURPLE_STATUS_AVAILABLE));
	emit("connection", "state", "connecting", NULL);

	g_main_loop_run(main_loop);

	if (purple_account_is_connected(account))
		purple_account_disconnect(account);
	purple_core_quit();
	g_io_channel_unref(input);
	g_free(account_domain);
	return 0;
}
