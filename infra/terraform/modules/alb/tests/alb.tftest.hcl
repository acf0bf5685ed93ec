# Unit tests of the alb module against a mocked AWS provider: they check what
# the module decides (ports, rules, names, wiring), not what AWS does with it.

mock_provider "aws" {
  # Computed values are given realistic shapes during plan too, so ARNs and
  # names built from them can be asserted.
  override_during = plan

  mock_data "aws_caller_identity" {
    defaults = {
      account_id = "123456789012"
      arn        = "arn:aws:iam::123456789012:user/test"
      user_id    = "AIDAEXAMPLE"
    }
  }

  mock_data "aws_region" {
    defaults = {
      name = "eu-west-1"
    }
  }

  mock_data "aws_partition" {
    defaults = {
      partition  = "aws"
      dns_suffix = "amazonaws.com"
    }
  }

  # The ELB log delivery account of eu-west-1.
  mock_data "aws_elb_service_account" {
    defaults = {
      arn = "arn:aws:iam::156460612806:root"
      id  = "156460612806"
    }
  }

  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
    }
  }

  mock_resource "aws_lb" {
    defaults = {
      arn        = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/hello-service-test/50dc6c495c0c9188"
      arn_suffix = "app/hello-service-test/50dc6c495c0c9188"
      dns_name   = "hello-service-test-1234567890.eu-west-1.elb.amazonaws.com"
      zone_id    = "Z32O12XQLNTSW2"
    }
  }

  mock_resource "aws_lb_listener" {
    defaults = {
      arn = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/hello-service-test/50dc6c495c0c9188/f2f7dc8efc522ab2"
    }
  }

  mock_resource "aws_s3_bucket" {
    defaults = {
      arn = "arn:aws:s3:::hello-service-test-alb-logs-123456789012-eu-west-1"
    }
  }

  mock_resource "aws_cloudwatch_log_group" {
    defaults = {
      arn = "arn:aws:logs:eu-west-1:123456789012:log-group:aws-waf-logs-hello-service-test"
    }
  }

  mock_resource "aws_wafv2_web_acl" {
    defaults = {
      arn = "arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/hello-service-test/a1b2c3d4-5678-90ab-cdef-EXAMPLE11111"
    }
  }

  mock_resource "aws_kms_key" {
    defaults = {
      arn = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    }
  }
}

# Each target group gets its own ARN, so tests can tell which one a listener
# forwards to.
override_resource {
  target          = aws_lb_target_group.this["blue"]
  override_during = plan
  values = {
    arn        = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/hello-service-test-blue/73e2d6bc24d8a067"
    arn_suffix = "targetgroup/hello-service-test-blue/73e2d6bc24d8a067"
  }
}

override_resource {
  target          = aws_lb_target_group.this["green"]
  override_during = plan
  values = {
    arn        = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/hello-service-test-green/1a2b3c4d5e6f7a8b"
    arn_suffix = "targetgroup/hello-service-test-green/1a2b3c4d5e6f7a8b"
  }
}

variables {
  name              = "hello-service-test"
  vpc_id            = "vpc-0123456789abcdef0"
  vpc_cidr_block    = "10.0.0.0/16"
  public_subnet_ids = ["subnet-0aaaaaaaaaaaaaaaa", "subnet-0bbbbbbbbbbbbbbbb"]
  certificate_arn   = "arn:aws:acm:eu-west-1:123456789012:certificate/0a1b2c3d-1111-2222-3333-444455556666"
}

run "load_balancer_settings" {
  command = plan

  assert {
    condition     = aws_lb.this.internal == false && aws_lb.this.load_balancer_type == "application"
    error_message = "The load balancer must be an internet-facing application load balancer."
  }

  assert {
    condition     = aws_lb.this.drop_invalid_header_fields && aws_lb.this.enable_http2
    error_message = "The load balancer must drop invalid header fields and speak HTTP/2."
  }

  assert {
    condition     = contains(["defensive", "strictest"], aws_lb.this.desync_mitigation_mode)
    error_message = "desync_mitigation_mode must be defensive or strictest."
  }

  assert {
    condition     = aws_lb.this.idle_timeout == 60 && aws_lb.this.enable_deletion_protection
    error_message = "Defaults: idle timeout 60 s and deletion protection on."
  }

  assert {
    condition     = aws_lb.this.subnets == toset(var.public_subnet_ids)
    error_message = "The load balancer must sit in the public subnets."
  }

  assert {
    condition     = aws_lb.this.access_logs[0].enabled && aws_lb.this.access_logs[0].bucket == aws_s3_bucket.access_logs.id
    error_message = "Access logs must go to the module's bucket."
  }
}

run "security_group_never_reaches_the_admin_port" {
  command = plan

  assert {
    condition     = aws_vpc_security_group_egress_rule.app.from_port == 8080 && aws_vpc_security_group_egress_rule.app.to_port == 8080 && aws_vpc_security_group_egress_rule.app.ip_protocol == "tcp"
    error_message = "The only egress must be TCP to the app port 8080."
  }

  assert {
    condition     = aws_vpc_security_group_egress_rule.app.cidr_ipv4 == "10.0.0.0/16"
    error_message = "Egress must stay inside the VPC CIDR."
  }

  assert {
    condition = alltrue(concat(
      [for rule in aws_vpc_security_group_ingress_rule.alb : !(rule.from_port <= 9090 && rule.to_port >= 9090)],
      [!(aws_vpc_security_group_egress_rule.app.from_port <= 9090 && aws_vpc_security_group_egress_rule.app.to_port >= 9090)],
    ))
    error_message = "No security group rule of the load balancer may cover the admin port 9090."
  }

  assert {
    condition     = toset([for rule in aws_vpc_security_group_ingress_rule.alb : rule.from_port]) == toset([443, 80])
    error_message = "Without blue/green, ingress must be exactly 443 and 80."
  }

  assert {
    condition     = alltrue([for rule in aws_vpc_security_group_ingress_rule.alb : rule.cidr_ipv4 == "0.0.0.0/0" && rule.ip_protocol == "tcp"])
    error_message = "Ingress must come from ingress_cidr_blocks over TCP."
  }
}

run "ingress_follows_cidr_blocks" {
  command = plan

  variables {
    ingress_cidr_blocks = ["203.0.113.0/24", "198.51.100.0/24"]
  }

  assert {
    condition     = length(aws_vpc_security_group_ingress_rule.alb) == 4
    error_message = "Each CIDR block gets a rule for 443 and one for 80."
  }

  assert {
    condition     = toset([for rule in aws_vpc_security_group_ingress_rule.alb : rule.cidr_ipv4]) == toset(["203.0.113.0/24", "198.51.100.0/24"])
    error_message = "Ingress must come only from ingress_cidr_blocks."
  }
}

run "health_check_and_target_group" {
  command = plan

  assert {
    condition     = length(aws_lb_target_group.this) == 1
    error_message = "Without blue/green there is exactly one target group."
  }

  assert {
    condition     = aws_lb_target_group.this["blue"].target_type == "ip" && aws_lb_target_group.this["blue"].port == 8080 && aws_lb_target_group.this["blue"].protocol == "HTTP"
    error_message = "The target group must register IP targets (awsvpc) on the app port 8080."
  }

  assert {
    condition     = aws_lb_target_group.this["blue"].health_check[0].path == "/health" && aws_lb_target_group.this["blue"].health_check[0].port == "8080"
    error_message = "The health check must be /health on port 8080."
  }

  assert {
    condition     = aws_lb_target_group.this["blue"].health_check[0].matcher == "200"
    error_message = "The health check must expect 200 only: 503 means the task is draining."
  }

  assert {
    condition     = aws_lb_target_group.this["blue"].health_check[0].timeout < aws_lb_target_group.this["blue"].health_check[0].interval
    error_message = "The health check timeout must be shorter than its interval."
  }

  assert {
    condition     = aws_lb_target_group.this["blue"].deregistration_delay == "15"
    error_message = "The default deregistration delay must be 15 s."
  }

  assert {
    condition     = output.target_group_name == "hello-service-test-blue"
    error_message = "The primary target group must be named NAME-blue."
  }

  assert {
    condition     = output.green_target_group_name == null && output.test_listener_arn == null && output.green_target_group_arn_suffix == null
    error_message = "Without blue/green the green outputs must be null."
  }
}

run "short_interval_keeps_timeout_valid" {
  command = plan

  variables {
    health_check_interval_seconds = 5
  }

  assert {
    condition     = aws_lb_target_group.this["blue"].health_check[0].timeout == 4
    error_message = "A 5 s interval must get a 4 s timeout."
  }
}

run "listeners" {
  command = plan

  assert {
    condition     = aws_lb_listener.http.port == 80 && aws_lb_listener.http.default_action[0].type == "redirect"
    error_message = "Port 80 must redirect."
  }

  assert {
    condition = (
      aws_lb_listener.http.default_action[0].redirect[0].protocol == "HTTPS" &&
      aws_lb_listener.http.default_action[0].redirect[0].port == "443" &&
      aws_lb_listener.http.default_action[0].redirect[0].status_code == "HTTP_301"
    )
    error_message = "Port 80 must redirect permanently (301) to HTTPS on 443."
  }

  assert {
    condition     = length(aws_lb_listener.https) == 1 && length(aws_lb_listener.https_blue_green) == 0
    error_message = "Without blue/green, Terraform owns the HTTPS listener's forward."
  }

  assert {
    condition = (
      aws_lb_listener.https[0].port == 443 &&
      aws_lb_listener.https[0].protocol == "HTTPS" &&
      aws_lb_listener.https[0].ssl_policy == "ELBSecurityPolicy-TLS13-1-2-2021-06" &&
      aws_lb_listener.https[0].certificate_arn == var.certificate_arn
    )
    error_message = "The HTTPS listener must serve the certificate on 443 with the TLS 1.3 policy."
  }

  assert {
    condition     = aws_lb_listener.https[0].default_action[0].type == "forward" && aws_lb_listener.https[0].default_action[0].target_group_arn == aws_lb_target_group.this["blue"].arn
    error_message = "The HTTPS listener must forward to the blue target group."
  }

  assert {
    condition     = output.https_listener_arn == aws_lb_listener.https[0].arn
    error_message = "https_listener_arn must be the HTTPS listener."
  }
}

run "blue_green_adds_green_target_group_and_test_listener" {
  command = plan

  variables {
    enable_blue_green         = true
    test_listener_cidr_blocks = ["198.51.100.0/24"]
  }

  assert {
    condition     = length(aws_lb_target_group.this) == 2
    error_message = "Blue/green needs a second target group."
  }

  assert {
    condition     = aws_lb_target_group.this["green"].name == "hello-service-test-green" && output.green_target_group_name == "hello-service-test-green"
    error_message = "The green target group must be named NAME-green."
  }

  assert {
    condition     = aws_lb_target_group.this["green"].port == 8080 && aws_lb_target_group.this["green"].health_check[0].path == "/health"
    error_message = "The green target group must be configured like the blue one."
  }

  assert {
    condition     = length(aws_lb_listener.test) == 1 && aws_lb_listener.test[0].port == 8443 && aws_lb_listener.test[0].protocol == "HTTPS"
    error_message = "Blue/green needs an HTTPS test listener on 8443."
  }

  assert {
    condition     = aws_lb_listener.test[0].certificate_arn == var.certificate_arn && aws_lb_listener.test[0].ssl_policy == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    error_message = "The test listener must use the same certificate and TLS policy."
  }

  assert {
    condition     = aws_lb_listener.test[0].default_action[0].target_group_arn == aws_lb_target_group.this["green"].arn
    error_message = "The test listener must start on the green target group."
  }

  assert {
    condition     = length(aws_lb_listener.https) == 0 && length(aws_lb_listener.https_blue_green) == 1
    error_message = "With blue/green, the HTTPS listener must be the one whose forward CodeDeploy owns."
  }

  assert {
    condition     = output.test_listener_arn == aws_lb_listener.test[0].arn && output.https_listener_arn == aws_lb_listener.https_blue_green[0].arn
    error_message = "The listener outputs must point at the blue/green listeners."
  }

  assert {
    condition     = [for rule in aws_vpc_security_group_ingress_rule.alb : rule.cidr_ipv4 if rule.from_port == 8443] == ["198.51.100.0/24"]
    error_message = "The test port must be open only to test_listener_cidr_blocks."
  }
}

run "long_name_gives_valid_target_group_names" {
  command = plan

  variables {
    name              = "a-very-long-service-name-prod-01"
    enable_blue_green = true
  }

  assert {
    condition     = alltrue([for tg in aws_lb_target_group.this : length(tg.name) <= 32])
    error_message = "Target group names must fit in 32 characters."
  }

  assert {
    condition     = aws_lb_target_group.this["blue"].name != aws_lb_target_group.this["green"].name
    error_message = "Cutting the name must not make the blue and green names equal."
  }

  assert {
    condition     = length(aws_s3_bucket.access_logs.bucket) <= 63
    error_message = "The log bucket name must fit in 63 characters."
  }
}

run "access_log_bucket" {
  command = plan

  assert {
    condition     = aws_s3_bucket.access_logs.bucket == "hello-service-test-alb-logs-123456789012-eu-west-1"
    error_message = "The bucket name must be NAME-alb-logs-ACCOUNT-REGION."
  }

  assert {
    condition     = aws_s3_bucket.access_logs.force_destroy == false
    error_message = "By default the logs must outlive the stack."
  }

  assert {
    condition     = one(one(aws_s3_bucket_server_side_encryption_configuration.access_logs.rule).apply_server_side_encryption_by_default).sse_algorithm == "AES256"
    error_message = "ALB access logs need SSE-S3."
  }

  assert {
    condition = (
      aws_s3_bucket_public_access_block.access_logs.block_public_acls &&
      aws_s3_bucket_public_access_block.access_logs.block_public_policy &&
      aws_s3_bucket_public_access_block.access_logs.ignore_public_acls &&
      aws_s3_bucket_public_access_block.access_logs.restrict_public_buckets
    )
    error_message = "Public access must be blocked entirely."
  }

  assert {
    condition     = aws_s3_bucket_versioning.access_logs.versioning_configuration[0].status == "Enabled"
    error_message = "The log bucket must be versioned."
  }

  assert {
    condition     = [for rule in aws_s3_bucket_lifecycle_configuration.access_logs.rule : rule.expiration[0].days if rule.id == "expire-access-logs"] == [90]
    error_message = "Logs must expire after access_logs_retention_days (90 by default)."
  }

  assert {
    condition     = contains(flatten([for s in data.aws_iam_policy_document.access_logs.statement : [for p in s.principals : tolist(p.identifiers)] if s.sid == "AllowElbLogDeliveryAccount"]), "arn:aws:iam::156460612806:root")
    error_message = "The bucket policy must allow the Region's ELB log delivery account."
  }

  assert {
    condition     = contains(flatten([for s in data.aws_iam_policy_document.access_logs.statement : [for p in s.principals : tolist(p.identifiers)] if s.sid == "AllowElbLogDeliveryService"]), "logdelivery.elasticloadbalancing.amazonaws.com")
    error_message = "The bucket policy must allow the ELB log delivery service principal."
  }

  assert {
    condition = anytrue([
      for s in data.aws_iam_policy_document.access_logs.statement :
      s.effect == "Deny" && anytrue([for c in s.condition : c.variable == "aws:SecureTransport" && c.values == tolist(["false"])])
    ])
    error_message = "The bucket policy must deny requests without TLS."
  }

  assert {
    condition     = alltrue([for s in data.aws_iam_policy_document.access_logs.statement : s.resources == toset(["arn:aws:s3:::hello-service-test-alb-logs-123456789012-eu-west-1/AWSLogs/123456789012/*"]) if s.effect == "Allow"])
    error_message = "Log delivery may write only under AWSLogs/ACCOUNT/."
  }
}

run "waf" {
  command = plan

  assert {
    condition     = length(aws_wafv2_web_acl.this) == 1 && aws_wafv2_web_acl.this[0].scope == "REGIONAL"
    error_message = "A regional web ACL must be created."
  }

  assert {
    condition = toset([
      for rule in aws_wafv2_web_acl.this[0].rule :
      rule.statement[0].managed_rule_group_statement[0].name if length(rule.statement[0].managed_rule_group_statement) > 0
      ]) == toset([
      "AWSManagedRulesCommonRuleSet",
      "AWSManagedRulesKnownBadInputsRuleSet",
      "AWSManagedRulesAmazonIpReputationList",
    ])
    error_message = "The web ACL must use the three AWS managed rule groups."
  }

  assert {
    condition = flatten([
      for rule in aws_wafv2_web_acl.this[0].rule : [
        for override in rule.statement[0].managed_rule_group_statement[0].rule_action_override :
        override.name if length(override.action_to_use[0].count) == 1
      ] if length(rule.statement[0].managed_rule_group_statement) > 0
    ]) == ["SizeRestrictions_BODY"]
    error_message = "Only the common rule set's body-size rule is set to count, so the service answers oversized bodies with its JSON 413."
  }

  assert {
    condition     = [for rule in aws_wafv2_web_acl.this[0].rule : rule.statement[0].rate_based_statement[0].limit if length(rule.statement[0].rate_based_statement) > 0] == [2000]
    error_message = "The rate-based rule must use waf_rate_limit."
  }

  assert {
    condition     = aws_wafv2_web_acl_association.this[0].resource_arn == aws_lb.this.arn && aws_wafv2_web_acl_association.this[0].web_acl_arn == aws_wafv2_web_acl.this[0].arn
    error_message = "The web ACL must be associated with the load balancer."
  }

  assert {
    condition     = aws_cloudwatch_log_group.waf[0].name == "aws-waf-logs-hello-service-test" && aws_cloudwatch_log_group.waf[0].kms_key_id == aws_kms_key.waf_logs[0].arn
    error_message = "WAF must log to the KMS-encrypted log group aws-waf-logs-NAME."
  }

  assert {
    condition     = aws_wafv2_web_acl_logging_configuration.this[0].log_destination_configs == toset([aws_cloudwatch_log_group.waf[0].arn])
    error_message = "The WAF logging configuration must point at the log group."
  }

  assert {
    condition     = aws_kms_key.waf_logs[0].enable_key_rotation
    error_message = "The WAF log key must rotate."
  }

  assert {
    condition     = output.web_acl_arn == aws_wafv2_web_acl.this[0].arn
    error_message = "web_acl_arn must be the web ACL."
  }
}

run "waf_can_be_switched_off" {
  command = plan

  variables {
    enable_waf = false
  }

  assert {
    condition = (
      length(aws_wafv2_web_acl.this) == 0 &&
      length(aws_wafv2_web_acl_association.this) == 0 &&
      length(aws_cloudwatch_log_group.waf) == 0 &&
      length(aws_kms_key.waf_logs) == 0
    )
    error_message = "enable_waf = false must create no WAF resources."
  }

  assert {
    condition     = output.web_acl_arn == null
    error_message = "web_acl_arn must be null without WAF."
  }
}

run "rejects_name_too_long" {
  command = plan

  variables {
    name = "this-name-is-far-too-long-for-an-alb"
  }

  expect_failures = [var.name]
}

run "rejects_internal_prefix" {
  command = plan

  variables {
    name = "internal-hello"
  }

  expect_failures = [var.name]
}

run "rejects_invalid_ingress_cidr" {
  command = plan

  variables {
    ingress_cidr_blocks = ["0.0.0.0/33"]
  }

  expect_failures = [var.ingress_cidr_blocks]
}

run "rejects_single_subnet" {
  command = plan

  variables {
    public_subnet_ids = ["subnet-0aaaaaaaaaaaaaaaa"]
  }

  expect_failures = [var.public_subnet_ids]
}

run "rejects_test_listener_on_production_port" {
  command = plan

  variables {
    test_listener_port = 443
  }

  expect_failures = [var.test_listener_port]
}

run "rejects_invalid_certificate_arn" {
  command = plan

  variables {
    certificate_arn = "not-an-arn"
  }

  expect_failures = [var.certificate_arn]
}

run "rejects_out_of_range_values" {
  command = plan

  variables {
    app_port                      = 70000
    health_check_interval_seconds = 2
    waf_rate_limit                = 10
    access_logs_retention_days    = 45
    health_check_path             = "health"
  }

  expect_failures = [
    var.app_port,
    var.health_check_interval_seconds,
    var.waf_rate_limit,
    var.access_logs_retention_days,
    var.health_check_path,
  ]
}
