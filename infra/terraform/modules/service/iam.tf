locals {
  # ECS may pass a secret's JSON key, version stage and id after its ARN
  # (ARN:admin_token::); IAM names the secret itself, the first seven fields.
  admin_token_secret_iam_arn = var.admin_token_secret_arn == null ? null : join(":", slice(split(":", var.admin_token_secret_arn), 0, 7))

  secretsmanager_via_service = "secretsmanager.${local.region}.amazonaws.com"

  execution_statements = concat(
    [
      {
        # GetAuthorizationToken is not tied to a repository: AWS accepts only "*".
        Sid      = "EcrAuthorizationToken"
        Effect   = "Allow"
        Action   = "ecr:GetAuthorizationToken"
        Resource = "*"
      },
      {
        Sid      = "PullFromTheServiceRepository"
        Effect   = "Allow"
        Action   = ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"]
        Resource = var.ecr_repository_arn
      },
      {
        Sid      = "ContainerLogs"
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = "${local.log_group_arn}:log-stream:*"
      },
    ],
    var.admin_token_secret_arn == null ? [] : [
      {
        Sid      = "InjectTheAdminToken"
        Effect   = "Allow"
        Action   = "secretsmanager:GetSecretValue"
        Resource = local.admin_token_secret_iam_arn
      },
    ],
    var.admin_token_secret_kms_key_arn == null ? [] : [
      {
        Sid       = "DecryptTheAdminTokenThroughSecretsManager"
        Effect    = "Allow"
        Action    = "kms:Decrypt"
        Resource  = var.admin_token_secret_kms_key_arn
        Condition = { StringEquals = { "kms:ViaService" = local.secretsmanager_via_service } }
      },
    ],
  )

  task_statements = concat(
    var.database_secret_arn == null ? [] : [
      {
        # GetSecretValue covers the AWSPENDING version the service reads during
        # a rotation; nothing else of Secrets Manager is needed.
        Sid      = "ReadTheDatabaseSecret"
        Effect   = "Allow"
        Action   = "secretsmanager:GetSecretValue"
        Resource = var.database_secret_arn
      },
    ],
    var.database_secret_kms_key_arn == null ? [] : [
      {
        Sid       = "DecryptTheDatabaseSecretThroughSecretsManager"
        Effect    = "Allow"
        Action    = "kms:Decrypt"
        Resource  = var.database_secret_kms_key_arn
        Condition = { StringEquals = { "kms:ViaService" = local.secretsmanager_via_service } }
      },
    ],
    [
      {
        # The collector's trace export. X-Ray has no resource-level
        # permissions for these actions: AWS accepts only "*".
        Sid      = "CollectorTracesToXRay"
        Effect   = "Allow"
        Action   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules", "xray:GetSamplingTargets"]
        Resource = "*"
      },
      {
        # The collector's metrics, as embedded metric format records, into the
        # one log group made for them (which is why it needs no CreateLogGroup).
        Sid    = "CollectorMetricsToCloudWatchLogs"
        Effect = "Allow"
        Action = ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]
        # IAM matches most Logs actions on the group's ARN with ":*" appended.
        Resource = [local.metrics_log_group_arn, "${local.metrics_log_group_arn}:*"]
      },
    ],
  )
}

# The role ECS itself uses to start a task: pull the image, write the logs,
# fetch the secrets it injects.
resource "aws_iam_role" "execution" {
  name                 = "${var.name}-task-execution"
  description          = "ECS task execution role of ${var.name}: image pull, container logs, injected secrets."
  permissions_boundary = var.permissions_boundary_arn

  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "ecs-tasks.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = { StringEquals = { "aws:SourceAccount" = local.account_id } }
    }]
  })

  tags = {
    Name = "${var.name}-task-execution"
  }
}

resource "aws_iam_role_policy" "execution" {
  name   = "${var.name}-task-execution"
  role   = aws_iam_role.execution.id
  policy = jsonencode({ Version = "2012-10-17", Statement = local.execution_statements })
}

# The role the containers run as: the service reads its one secret, the
# collector writes traces and metrics.
resource "aws_iam_role" "task" {
  name                 = "${var.name}-task"
  description          = "ECS task role of ${var.name}: its database secret, X-Ray and CloudWatch writes of the collector."
  permissions_boundary = var.permissions_boundary_arn

  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "ecs-tasks.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = {
        StringEquals = { "aws:SourceAccount" = local.account_id }
        ArnLike      = { "aws:SourceArn" = "arn:${local.partition}:ecs:${local.region}:${local.account_id}:*" }
      }
    }]
  })

  tags = {
    Name = "${var.name}-task"
  }
}

resource "aws_iam_role_policy" "task" {
  name   = "${var.name}-task"
  role   = aws_iam_role.task.id
  policy = jsonencode({ Version = "2012-10-17", Statement = local.task_statements })
}
