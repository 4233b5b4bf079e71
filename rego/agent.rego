# Agent execution policy: what an autonomous agent may do, decided before it acts.
#
# Entrypoint: agent/decision. Input is govern's request envelope:
#   {"subject": {"id", "type", "clearance"?}, "action", "resource", "args", "context", "parent"?}
# The decision is {"allow": true, "scope": [...]} or {"allow": false, "reasons": [...]}.
package agent

# --- Shell commands ------------------------------------------------------------------------------

# Programs an agent may run, and for some, the only subcommands it may use.
shell_programs := {"ls", "cat", "head", "tail", "wc", "grep", "pwd", "echo", "git", "npm"}

shell_subcommands := {
	"git": {"status", "log", "diff", "show", "fetch"},
	"npm": {"test", "ci", "run"},
}

# Fragments that are refused anywhere in an argument, whatever the program.
shell_forbidden := ["sudo", "rm -rf", "| sh", "| bash", "/etc/shadow", "~/.ssh", "id_rsa", "$(", "`"]

# --- HTTP egress ---------------------------------------------------------------------------------

egress_domains := {"api.github.com", "registry.npmjs.org", "pypi.org", "docs.python.org"}

egress_domain_suffixes := [".internal.example.com"]

egress_methods := {"GET", "HEAD"}

# --- Payments ------------------------------------------------------------------------------------

# Per currency: above `approval`, a finance approver must have approved; above `limit`, never.
payment_limits := {
	"USD": {"approval": 100, "limit": 5000},
	"EUR": {"approval": 100, "limit": 4500},
}

approver_roles := {"finance", "cfo"}

# --- Data classification -------------------------------------------------------------------------

classification_levels := {"public": 0, "internal": 1, "confidential": 2, "restricted": 3}

# Clearance by subject type; a subject may carry a lower (never a higher) explicit clearance.
type_clearance := {"agent": 1, "service": 2, "human": 3}

# --- Decision ------------------------------------------------------------------------------------

default decision := {"allow": false, "reasons": ["action not permitted by policy"]}

decision := {"allow": true, "scope": [grant]} if {
	count(violations) == 0
	grant
}

decision := {"allow": false, "reasons": sort([v | some v in violations])} if {
	count(violations) > 0
}

# The scope each kind of action grants when it has no violation.
grant := "shell:exec" if input.action == "shell.exec"

grant := "http:egress" if input.action == "http.request"

grant := "payment:create" if input.action == "payment.create"

grant := "data:read" if input.action == "data.read"

# --- Shell rules ---------------------------------------------------------------------------------

argv := input.args.argv

violations contains "shell: args.argv must be a non-empty list of strings" if {
	input.action == "shell.exec"
	not valid_argv
}

valid_argv if {
	is_array(argv)
	count(argv) > 0
	every a in argv {
		is_string(a)
	}
}

violations contains sprintf("shell: program %q is not allowed", [input.resource]) if {
	input.action == "shell.exec"
	not input.resource in shell_programs
}

violations contains "shell: argv[0] must be the resource" if {
	input.action == "shell.exec"
	valid_argv
	argv[0] != input.resource
}

violations contains sprintf("shell: %s %s is not allowed", [input.resource, sub]) if {
	input.action == "shell.exec"
	allowed := shell_subcommands[input.resource]
	sub := subcommand
	not sub in allowed
}

subcommand := s if {
	s := argv[1]
} else := ""

violations contains sprintf("shell: forbidden fragment %q", [fragment]) if {
	input.action == "shell.exec"
	valid_argv
	line := concat(" ", argv)
	some fragment in shell_forbidden
	contains(line, fragment)
}

# --- HTTP rules ----------------------------------------------------------------------------------

url_parts := split(input.resource, "/")

host := lower(split(url_parts[2], ":")[0])

violations contains "http: only https URLs are allowed" if {
	input.action == "http.request"
	url_parts[0] != "https:"
}

violations contains "http: only https URLs are allowed" if {
	input.action == "http.request"
	count(url_parts) < 3
}

violations contains sprintf("http: egress to %s is not allowed", [host]) if {
	input.action == "http.request"
	not egress_allowed(host)
}

egress_allowed(h) if h in egress_domains

egress_allowed(h) if {
	some suffix in egress_domain_suffixes
	endswith(h, suffix)
}

violations contains sprintf("http: method %s is not allowed", [method]) if {
	input.action == "http.request"
	method := upper(object.get(input.args, "method", "GET"))
	not method in egress_methods
}

violations contains "http: confidential data may not leave" if {
	input.action == "http.request"
	classification_levels[object.get(input.context, "classification", "public")] >= 2
}

# --- Payment rules -------------------------------------------------------------------------------

amount := input.args.amount

currency := input.args.currency

violations contains "payment: amount must be a positive number" if {
	input.action == "payment.create"
	not positive_amount
}

positive_amount if {
	is_number(amount)
	amount > 0
}

violations contains sprintf("payment: currency %v is not supported", [object.get(input.args, "currency", null)]) if {
	input.action == "payment.create"
	not payment_limits[currency]
}

violations contains sprintf("payment: %v %s exceeds the hard limit of %v", [amount, currency, limit]) if {
	input.action == "payment.create"
	limit := payment_limits[currency].limit
	amount > limit
}

violations contains sprintf("payment: %v %s needs an approval from finance", [amount, currency]) if {
	input.action == "payment.create"
	amount > payment_limits[currency].approval
	not approved
}

approved if {
	some approval in input.context.approvals
	approval.role in approver_roles
	approval.by != input.subject.id
}

# --- Data rules ----------------------------------------------------------------------------------

clearance := min({type_clearance[input.subject.type], object.get(input.subject, "clearance", 3)}) if {
	type_clearance[input.subject.type]
} else := 0

violations contains sprintf("data: %s data needs clearance %d (subject has %d)", [label, level, clearance]) if {
	input.action == "data.read"
	label := object.get(input.context, "classification", "restricted")
	level := object.get(classification_levels, label, 3)
	level > clearance
}
