data "aws_caller_identity" "current" {}

data "aws_region" "current" {}

data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  region     = data.aws_region.current.name
  partition  = data.aws_partition.current.partition

  environment = coalesce(var.deployment_environment, var.name)

  log_group_name         = "/aws/ecs/${var.name}"
  metrics_log_group_name = "/aws/ecs/${var.name}/metrics"
  log_group_arn          = "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:${local.log_group_name}"
  metrics_log_group_arn  = "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:${local.metrics_log_group_name}"

  # Beyond the base, tasks are split by weight. A provider of weight 0 places no
  # task at all, so it is left out of the strategy rather than listed with 0.
  capacity_provider_strategy = concat(
    var.fargate_weight > 0 ? [{ capacity_provider = "FARGATE", base = var.fargate_base, weight = var.fargate_weight }] : [],
    var.fargate_spot_weight > 0 ? [{ capacity_provider = "FARGATE_SPOT", base = 0, weight = var.fargate_spot_weight }] : [],
  )
}

# One customer-managed key for the service's log groups: the logs can hold
# request paths and error causes, and a key of our own lets access to them be
# revoked or audited apart from the rest of the account.
resource "aws_kms_key" "logs" {
  description             = "Encrypts the CloudWatch Logs log groups of ${var.name}."
  enable_key_rotation     = true
  deletion_window_in_days = 30

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        # Without this statement the key would be unmanageable; with it, IAM
        # policies in the account decide who may use and administer the key.
        Sid       = "AccountAdministration"
        Effect    = "Allow"
        Principal = { AWS = "arn:${local.partition}:iam::${local.account_id}:root" }
        Action    = "kms:*"
        Resource  = "*"
      },
      {
        Sid       = "CloudWatchLogsForTheseLogGroups"
        Effect    = "Allow"
        Principal = { Service = "logs.${local.region}.amazonaws.com" }
        Action    = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
        Resource  = "*"
        Condition = {
          ArnEquals = {
            "kms:EncryptionContext:aws:logs:arn" = [local.log_group_arn, local.metrics_log_group_arn]
          }
        }
      },
    ]
  })

  tags = {
    Name = "${var.name}-logs"
  }
}

resource "aws_kms_alias" "logs" {
  name          = "alias/${var.name}-logs"
  target_key_id = aws_kms_key.logs.key_id
}

# The containers' stdout and stderr, one stream per container and task.
resource "aws_cloudwatch_log_group" "this" {
  #checkov:skip=CKV_AWS_338: retention is an input (log_retention_days) each environment sets; a year is not the right default for a dev service's access logs.
  name              = local.log_group_name
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.logs.arn

  tags = {
    Name = local.log_group_name
  }
}

# The collector's embedded metric format records: CloudWatch extracts the
# service's metrics from them. Made here, with retention and encryption, rather
# than by the collector on first write.
resource "aws_cloudwatch_log_group" "metrics" {
  #checkov:skip=CKV_AWS_338: retention is an input (log_retention_days) each environment sets; the metrics extracted from these records live on in CloudWatch Metrics regardless.
  name              = local.metrics_log_group_name
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.logs.arn

  tags = {
    Name = local.metrics_log_group_name
  }
}

resource "aws_ecs_cluster" "this" {
  name = var.name

  setting {
    name  = "containerInsights"
    value = var.container_insights
  }

  tags = {
    Name = var.name
  }
}

resource "aws_ecs_cluster_capacity_providers" "this" {
  cluster_name       = aws_ecs_cluster.this.name
  capacity_providers = ["FARGATE", "FARGATE_SPOT"]

  dynamic "default_capacity_provider_strategy" {
    for_each = local.capacity_provider_strategy

    content {
      capacity_provider = default_capacity_provider_strategy.value.capacity_provider
      base              = default_capacity_provider_strategy.value.base
      weight            = default_capacity_provider_strategy.value.weight
    }
  }
}
