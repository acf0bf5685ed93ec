data "aws_caller_identity" "current" {}

data "aws_region" "current" {}

data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  region     = data.aws_region.current.name
  partition  = data.aws_partition.current.partition

  topic_name = "${var.name}-alarms"
  # Built from its parts because the key policy needs it before the topic,
  # which is encrypted with that key, exists.
  topic_arn = "arn:${local.partition}:sns:${local.region}:${local.account_id}:${local.topic_name}"
}

# The one alert channel of the stack: every alarm of this module publishes to
# it, and the budget module can be pointed at it too.
resource "aws_sns_topic" "alarms" {
  name              = local.topic_name
  kms_master_key_id = aws_kms_key.alarms.arn

  tags = {
    Name = local.topic_name
  }
}

resource "aws_sns_topic_subscription" "email" {
  for_each = toset(var.alarm_emails)

  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "email"
  endpoint  = each.value
}

# A customer managed key, because the AWS managed key of SNS (alias/aws/sns)
# cannot be shared with CloudWatch or Budgets: with it, alarms would publish to
# an encrypted topic and every notification would be dropped.
resource "aws_kms_key" "alarms" {
  description             = "Encrypts the alarm topic of ${var.name}"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.alarms_key.json

  tags = {
    Name = local.topic_name
  }
}

resource "aws_kms_alias" "alarms" {
  name          = "alias/${local.topic_name}"
  target_key_id = aws_kms_key.alarms.key_id
}

data "aws_iam_policy_document" "alarms_key" {
  #checkov:skip=CKV_AWS_109: In a key policy "*" is the key itself; the account root statement keeps the key manageable through IAM, as AWS's default key policy does.
  #checkov:skip=CKV_AWS_111: In a key policy "*" is the key itself, and the services are limited to this topic by the SNS encryption context.
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

  # Publishing to an encrypted topic needs a data key from the publisher's side;
  # the encryption context pins the grant to this topic's messages.
  statement {
    sid       = "AlarmAndBudgetServicesPublishToThisTopic"
    effect    = "Allow"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey*"]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com", "budgets.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "kms:EncryptionContext:aws:sns:topicArn"
      values   = [local.topic_arn]
    }
  }
}

data "aws_iam_policy_document" "alarms_topic" {
  statement {
    sid    = "AccountManagesTopic"
    effect = "Allow"
    actions = [
      "sns:GetTopicAttributes",
      "sns:SetTopicAttributes",
      "sns:AddPermission",
      "sns:RemovePermission",
      "sns:DeleteTopic",
      "sns:Subscribe",
      "sns:ListSubscriptionsByTopic",
      "sns:Publish",
    ]
    resources = [aws_sns_topic.alarms.arn]

    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }

  statement {
    sid       = "CloudWatchAlarmsOfThisStackPublish"
    effect    = "Allow"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.alarms.arn]

    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = ["arn:${local.partition}:cloudwatch:${local.region}:${local.account_id}:alarm:${var.name}-*"]
    }
  }

  # Budgets are global: their ARNs have no Region.
  statement {
    sid       = "BudgetsOfThisAccountPublish"
    effect    = "Allow"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.alarms.arn]

    principals {
      type        = "Service"
      identifiers = ["budgets.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = ["arn:${local.partition}:budgets::${local.account_id}:*"]
    }
  }

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.alarms.arn]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_sns_topic_policy" "alarms" {
  arn    = aws_sns_topic.alarms.arn
  policy = data.aws_iam_policy_document.alarms_topic.json
}
