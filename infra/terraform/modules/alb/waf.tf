locals {
  # WAF delivers logs to CloudWatch Logs only into groups whose name starts
  # with "aws-waf-logs-".
  waf_log_group_name = "aws-waf-logs-${var.name}"
  waf_log_group_arn  = "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:${local.waf_log_group_name}"
}

resource "aws_wafv2_web_acl" "this" {
  count = var.enable_waf ? 1 : 0

  name        = var.name
  description = "Web ACL of the ${var.name} load balancer: AWS managed rules and a per-IP rate limit"
  scope       = "REGIONAL"

  default_action {
    allow {}
  }

  # Rate-limited clients get a JSON error in the service's error shape rather
  # than an empty 403, so they can tell throttling from a rejected request.
  custom_response_body {
    key          = "rate-limited"
    content_type = "APPLICATION_JSON"
    content = jsonencode({
      error = {
        code    = "rate_limited"
        message = "too many requests from this address; retry later"
      }
    })
  }

  # Addresses AWS threat intelligence knows for bots and attacks are dropped
  # first, before they count against anything else.
  rule {
    name     = "aws-ip-reputation"
    priority = 10

    override_action {
      none {}
    }

    statement {
      managed_rule_group_statement {
        vendor_name = "AWS"
        name        = "AWSManagedRulesAmazonIpReputationList"
      }
    }

    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${var.name}-ip-reputation"
      sampled_requests_enabled   = true
    }
  }

  # The load balancer sees the client address itself (no CDN in front), so the
  # limit is per source IP.
  rule {
    name     = "rate-limit-per-ip"
    priority = 20

    action {
      block {
        custom_response {
          response_code            = 429
          custom_response_body_key = "rate-limited"
        }
      }
    }

    statement {
      rate_based_statement {
        limit                 = var.waf_rate_limit
        aggregate_key_type    = "IP"
        evaluation_window_sec = 300
      }
    }

    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${var.name}-rate-limit"
      sampled_requests_enabled   = true
    }
  }

  # Request patterns known to exploit common software, Log4Shell among them.
  rule {
    name     = "aws-known-bad-inputs"
    priority = 30

    override_action {
      none {}
    }

    statement {
      managed_rule_group_statement {
        vendor_name = "AWS"
        name        = "AWSManagedRulesKnownBadInputsRuleSet"
      }
    }

    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${var.name}-known-bad-inputs"
      sampled_requests_enabled   = true
    }
  }

  # The OWASP-style baseline. Its 8 KB body rule only counts: the service's own
  # limit (APP_BODY_LIMIT) answers an oversized body with its JSON 413, where
  # WAF's block would be a bare 403.
  rule {
    name     = "aws-common"
    priority = 40

    override_action {
      none {}
    }

    statement {
      managed_rule_group_statement {
        vendor_name = "AWS"
        name        = "AWSManagedRulesCommonRuleSet"

        rule_action_override {
          name = "SizeRestrictions_BODY"
          action_to_use {
            count {}
          }
        }
      }
    }

    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${var.name}-common"
      sampled_requests_enabled   = true
    }
  }

  visibility_config {
    cloudwatch_metrics_enabled = true
    metric_name                = var.name
    sampled_requests_enabled   = true
  }
}

resource "aws_wafv2_web_acl_association" "this" {
  count = var.enable_waf ? 1 : 0

  resource_arn = aws_lb.this.arn
  web_acl_arn  = aws_wafv2_web_acl.this[0].arn
}

# WAF logs hold client addresses and request details, so they are encrypted
# with a key of this stack's own that only CloudWatch Logs may use, and only
# for this log group.
resource "aws_kms_key" "waf_logs" {
  count = var.enable_waf ? 1 : 0

  description             = "Encrypts the WAF logs of ${var.name}"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.waf_logs_key[0].json

  tags = {
    Name = "${var.name}-waf-logs"
  }
}

resource "aws_kms_alias" "waf_logs" {
  count = var.enable_waf ? 1 : 0

  name          = "alias/${var.name}-waf-logs"
  target_key_id = aws_kms_key.waf_logs[0].key_id
}

data "aws_iam_policy_document" "waf_logs_key" {
  count = var.enable_waf ? 1 : 0

  #checkov:skip=CKV_AWS_109: In a key policy "*" is the key itself; the account root statement keeps the key manageable through IAM, as AWS's default key policy does.
  #checkov:skip=CKV_AWS_111: In a key policy "*" is the key itself, and CloudWatch Logs is limited to this log group by its encryption context.
  #checkov:skip=CKV_AWS_356: A key policy can only name its own key, which it does as "*".
  statement {
    sid       = "AccountAdministersKeyThroughIam"
    effect    = "Allow"
    actions   = ["kms:*"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }

  statement {
    sid    = "CloudWatchLogsEncryptsThisLogGroup"
    effect = "Allow"
    actions = [
      "kms:Encrypt",
      "kms:Decrypt",
      "kms:ReEncrypt*",
      "kms:GenerateDataKey*",
      "kms:Describe*",
    ]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["logs.${local.region}.amazonaws.com"]
    }

    condition {
      test     = "ArnEquals"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values   = [local.waf_log_group_arn]
    }
  }
}

resource "aws_cloudwatch_log_group" "waf" {
  #checkov:skip=CKV_AWS_338: Retention follows access_logs_retention_days, the environment's choice for request logs (the ALB access logs keep the full record); a fixed year would override it.
  count = var.enable_waf ? 1 : 0

  name              = local.waf_log_group_name
  retention_in_days = var.access_logs_retention_days
  kms_key_id        = aws_kms_key.waf_logs[0].arn
}

# Lets the log delivery service write WAF logs into this log group only, on
# behalf of this account only. Without it WAF would add an account-wide policy
# of its own outside Terraform.
data "aws_iam_policy_document" "waf_log_delivery" {
  count = var.enable_waf ? 1 : 0

  statement {
    sid       = "WafLogDelivery"
    effect    = "Allow"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.waf[0].arn}:*"]

    principals {
      type        = "Service"
      identifiers = ["delivery.logs.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = ["arn:${local.partition}:logs:${local.region}:${local.account_id}:*"]
    }
  }
}

resource "aws_cloudwatch_log_resource_policy" "waf" {
  count = var.enable_waf ? 1 : 0

  policy_name     = "${var.name}-waf-log-delivery"
  policy_document = data.aws_iam_policy_document.waf_log_delivery[0].json
}

resource "aws_wafv2_web_acl_logging_configuration" "this" {
  count = var.enable_waf ? 1 : 0

  resource_arn            = aws_wafv2_web_acl.this[0].arn
  log_destination_configs = [aws_cloudwatch_log_group.waf[0].arn]

  # Credentials and session cookies never reach the logs (docs/design.md marks the
  # same headers sensitive in the service).
  redacted_fields {
    single_header {
      name = "authorization"
    }
  }

  redacted_fields {
    single_header {
      name = "cookie"
    }
  }

  # The ALB access logs already record every request; WAF logs are kept for
  # the requests WAF acted on or would have acted on, which is what they are
  # read for, at a fraction of the volume.
  logging_filter {
    default_behavior = "DROP"

    filter {
      behavior    = "KEEP"
      requirement = "MEETS_ANY"

      condition {
        action_condition {
          action = "BLOCK"
        }
      }

      condition {
        action_condition {
          action = "COUNT"
        }
      }

      condition {
        action_condition {
          action = "EXCLUDED_AS_COUNT"
        }
      }
    }
  }

  depends_on = [aws_cloudwatch_log_resource_policy.waf]
}
