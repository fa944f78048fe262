package config

func init() {
	ruleSeeds["http_response_rules"] = `{"type":"set-header","hdr_name":"X-A","hdr_format":"%[status]","cond":"if","cond_test":"{ status 200 }"}`
	ruleSeeds["http_after_response_rules"] = `{"type":"set-status","status":503,"status_reason":"Down","cond":"unless","cond_test":"{ status 200 }"}`
	ruleSeeds["http_error_rules"] = `{"type":"status","status":503,"return_content_type":"text/plain","return_content_format":"string","return_content":"down","return_hdrs":[{"name":"X-A","fmt":"b"}]}`
}
