package agent_test

import data.agent

agent_subject := {"id": "agent-7", "type": "agent"}

req(action, resource, args, context) := {"subject": agent_subject, "action": action, "resource": resource, "args": args, "context": context}

# Shell

test_shell_ls_allowed if {
	agent.decision == {"allow": true, "scope": ["shell:exec"]} with input as req("shell.exec", "ls", {"argv": ["ls", "-la"]}, {})
}

test_shell_git_status_allowed if {
	agent.decision.allow with input as req("shell.exec", "git", {"argv": ["git", "status"]}, {})
}

test_shell_git_push_denied if {
	d := agent.decision with input as req("shell.exec", "git", {"argv": ["git", "push"]}, {})
	d.allow == false
	d.reasons == ["shell: git push is not allowed"]
}

test_shell_unknown_program_denied if {
	d := agent.decision with input as req("shell.exec", "curl", {"argv": ["curl", "https://x"]}, {})
	d.allow == false
	"shell: program \"curl\" is not allowed" in d.reasons
}

test_shell_forbidden_fragment_denied if {
	d := agent.decision with input as req("shell.exec", "cat", {"argv": ["cat", "~/.ssh/id_rsa"]}, {})
	d.allow == false
	"shell: forbidden fragment \"~/.ssh\"" in d.reasons
}

test_shell_argv_must_match_resource if {
	d := agent.decision with input as req("shell.exec", "ls", {"argv": ["rm", "x"]}, {})
	d.allow == false
	"shell: argv[0] must be the resource" in d.reasons
}

test_shell_missing_argv_denied if {
	d := agent.decision with input as req("shell.exec", "ls", {}, {})
	d.allow == false
}

# HTTP egress

test_http_allowed_domain if {
	agent.decision == {"allow": true, "scope": ["http:egress"]} with input as req("http.request", "https://api.github.com/repos/x/y", {"method": "GET"}, {})
}

test_http_internal_suffix_allowed if {
	agent.decision.allow with input as req("http.request", "https://build.internal.example.com:8443/status", {}, {})
}

test_http_unknown_domain_denied if {
	d := agent.decision with input as req("http.request", "https://evil.example.org/exfil", {}, {})
	d.reasons == ["http: egress to evil.example.org is not allowed"]
}

test_http_plain_http_denied if {
	d := agent.decision with input as req("http.request", "http://pypi.org/simple", {}, {})
	d.allow == false
}

test_http_post_denied if {
	d := agent.decision with input as req("http.request", "https://api.github.com/x", {"method": "post"}, {})
	d.reasons == ["http: method POST is not allowed"]
}

test_http_confidential_denied if {
	d := agent.decision with input as req("http.request", "https://api.github.com/x", {}, {"classification": "confidential"})
	d.reasons == ["http: confidential data may not leave"]
}

# Payments

test_payment_small_allowed if {
	agent.decision == {"allow": true, "scope": ["payment:create"]} with input as req("payment.create", "acct:acme", {"amount": 40, "currency": "USD"}, {})
}

test_payment_over_threshold_needs_approval if {
	d := agent.decision with input as req("payment.create", "acct:acme", {"amount": 250, "currency": "USD"}, {})
	d.reasons == ["payment: 250 USD needs an approval from finance"]
}

test_payment_over_threshold_with_approval_allowed if {
	agent.decision.allow with input as req("payment.create", "acct:acme", {"amount": 250, "currency": "USD"}, {"approvals": [{"by": "alice", "role": "finance"}]})
}

test_payment_self_approval_does_not_count if {
	d := agent.decision with input as req("payment.create", "acct:acme", {"amount": 250, "currency": "USD"}, {"approvals": [{"by": "agent-7", "role": "finance"}]})
	d.allow == false
}

test_payment_over_hard_limit_denied_even_with_approval if {
	d := agent.decision with input as req("payment.create", "acct:acme", {"amount": 9000, "currency": "EUR"}, {"approvals": [{"by": "alice", "role": "cfo"}]})
	d.reasons == ["payment: 9000 EUR exceeds the hard limit of 4500"]
}

test_payment_unknown_currency_denied if {
	d := agent.decision with input as req("payment.create", "acct:acme", {"amount": 5, "currency": "BTC"}, {})
	d.allow == false
}

test_payment_negative_denied if {
	d := agent.decision with input as req("payment.create", "acct:acme", {"amount": -5, "currency": "USD"}, {})
	"payment: amount must be a positive number" in d.reasons
}

# Data classification

test_data_internal_allowed_for_agent if {
	agent.decision == {"allow": true, "scope": ["data:read"]} with input as req("data.read", "crm/contacts", {}, {"classification": "internal"})
}

test_data_confidential_denied_for_agent if {
	d := agent.decision with input as req("data.read", "hr/salaries", {}, {"classification": "confidential"})
	d.reasons == ["data: confidential data needs clearance 2 (subject has 1)"]
}

test_data_unlabelled_counts_as_restricted if {
	d := agent.decision with input as req("data.read", "vault", {}, {})
	d.allow == false
}

test_data_service_reads_confidential if {
	agent.decision.allow with input as {"subject": {"id": "etl", "type": "service"}, "action": "data.read", "resource": "hr/salaries", "args": {}, "context": {"classification": "confidential"}}
}

test_data_explicit_clearance_only_lowers if {
	d := agent.decision with input as {"subject": {"id": "etl", "type": "service", "clearance": 0}, "action": "data.read", "resource": "crm", "args": {}, "context": {"classification": "internal"}}
	d.allow == false
}

# Anything else

test_unknown_action_denied if {
	agent.decision == {"allow": false, "reasons": ["action not permitted by policy"]} with input as req("db.drop", "prod", {}, {})
}
