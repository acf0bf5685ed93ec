data "aws_caller_identity" "current" {}

data "aws_region" "current" {}

data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  region     = data.aws_region.current.name
  partition  = data.aws_partition.current.partition

  major_version          = split(".", var.engine_version)[0]
  parameter_group_family = "postgres${local.major_version}"

  # RDS exports to these groups; made here first, with retention and
  # encryption, instead of by RDS without either.
  exported_logs   = ["postgresql", "upgrade"]
  log_group_names = { for l in local.exported_logs : l => "/aws/rds/instance/${var.name}/${l}" }

  root_statement = {
    # Without this statement the key would be unmanageable; with it, IAM
    # policies in the account decide who may use and administer the key.
    Sid       = "AccountAdministration"
    Effect    = "Allow"
    Principal = { AWS = "arn:${local.partition}:iam::${local.account_id}:root" }
    Action    = "kms:*"
    Resource  = "*"
  }
}

# The key of the master user secret, apart from the data key: the service's
# task role may decrypt with this one (through Secrets Manager only), and that
# grants it nothing of the storage, the snapshots or the logs.
resource "aws_kms_key" "secret" {
  description             = "Encrypts the master user secret of the database ${var.name}."
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = jsonencode({ Version = "2012-10-17", Statement = [local.root_statement] })

  tags = {
    Name = "${var.name}-db-secret"
  }
}

resource "aws_kms_alias" "secret" {
  name          = "alias/${var.name}-db-secret"
  target_key_id = aws_kms_key.secret.key_id
}

# The key of the storage, its snapshots and backups, Performance Insights and
# the exported logs.
resource "aws_kms_key" "data" {
  description             = "Encrypts the storage, Performance Insights and logs of the database ${var.name}."
  enable_key_rotation     = true
  deletion_window_in_days = 30

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      local.root_statement,
      {
        Sid       = "CloudWatchLogsForTheDatabaseLogGroups"
        Effect    = "Allow"
        Principal = { Service = "logs.${local.region}.amazonaws.com" }
        Action    = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
        Resource  = "*"
        Condition = {
          ArnEquals = {
            "kms:EncryptionContext:aws:logs:arn" = [
              for n in values(local.log_group_names) : "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:${n}"
            ]
          }
        }
      },
    ]
  })

  tags = {
    Name = "${var.name}-db-data"
  }
}

resource "aws_kms_alias" "data" {
  name          = "alias/${var.name}-db-data"
  target_key_id = aws_kms_key.data.key_id
}

resource "aws_cloudwatch_log_group" "this" {
  #checkov:skip=CKV_AWS_338: retention is an input (log_retention_days) each environment sets; a year is not the right default for a dev database's logs.
  for_each = local.log_group_names

  name              = each.value
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.data.arn

  tags = {
    Name = each.value
  }
}

resource "aws_db_subnet_group" "this" {
  name        = var.name
  description = "Private subnets of the database ${var.name}"
  subnet_ids  = var.private_subnet_ids

  tags = {
    Name = var.name
  }
}

resource "aws_security_group" "this" {
  name        = "${var.name}-database"
  description = "Database ${var.name}: PostgreSQL from the allowed security groups only"
  vpc_id      = var.vpc_id

  # No egress rule: the database opens no connection of its own, and replies
  # to accepted connections pass anyway (security groups are stateful).
  # Terraform removes the allow-all egress rule AWS adds to a new group.

  tags = {
    Name = "${var.name}-database"
  }
}

# One rule per allowed group. count, not for_each: the IDs are usually those
# of groups created in the same apply, unknown at plan time, and for_each
# needs known keys, while the length of the list is known.
resource "aws_vpc_security_group_ingress_rule" "postgres" {
  count = length(var.allowed_security_group_ids)

  security_group_id            = aws_security_group.this.id
  description                  = "PostgreSQL from an allowed security group"
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
  referenced_security_group_id = var.allowed_security_group_ids[count.index]

  tags = {
    Name = "${var.name}-postgres-${count.index}"
  }
}

resource "aws_db_parameter_group" "this" {
  # The family is part of the name, so that a major version upgrade creates
  # the new group before the old one is released.
  name        = "${var.name}-${local.parameter_group_family}"
  family      = local.parameter_group_family
  description = "PostgreSQL ${local.major_version} settings of ${var.name}"

  # Connections without TLS are refused: the service connects with sslmode=require,
  # or verify-full with the RDS CA bundle.
  parameter {
    name  = "rds.force_ssl"
    value = "1"
  }

  parameter {
    name  = "log_min_duration_statement"
    value = tostring(var.log_min_duration_statement_ms)
  }

  # Schema changes are logged: an audit trail of migrations and hand edits.
  parameter {
    name  = "log_statement"
    value = "ddl"
  }

  parameter {
    name  = "log_lock_waits"
    value = "1"
  }

  tags = {
    Name = "${var.name}-${local.parameter_group_family}"
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_iam_role" "monitoring" {
  count = var.monitoring_interval > 0 ? 1 : 0

  name                 = "${var.name}-rds-monitoring"
  description          = "Enhanced Monitoring of the database ${var.name}."
  permissions_boundary = var.permissions_boundary_arn

  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "monitoring.rds.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = { StringEquals = { "aws:SourceAccount" = local.account_id } }
    }]
  })

  tags = {
    Name = "${var.name}-rds-monitoring"
  }
}

resource "aws_iam_role_policy_attachment" "monitoring" {
  count = var.monitoring_interval > 0 ? 1 : 0

  role       = aws_iam_role.monitoring[0].name
  policy_arn = "arn:${local.partition}:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
}

resource "aws_db_instance" "this" {
  identifier     = var.name
  engine         = "postgres"
  engine_version = var.engine_version
  instance_class = var.instance_class
  port           = 5432
  db_name        = var.db_name
  username       = var.master_username

  # RDS generates the password, keeps it in Secrets Manager (encrypted with
  # our key) and rotates it; it never appears in Terraform's state.
  manage_master_user_password   = true
  master_user_secret_kms_key_id = aws_kms_key.secret.arn

  iam_database_authentication_enabled = var.iam_database_authentication_enabled

  storage_type          = "gp3"
  allocated_storage     = var.allocated_storage
  max_allocated_storage = var.max_allocated_storage
  storage_encrypted     = true
  kms_key_id            = aws_kms_key.data.arn

  multi_az               = var.multi_az
  db_subnet_group_name   = aws_db_subnet_group.this.name
  vpc_security_group_ids = [aws_security_group.this.id]
  publicly_accessible    = false
  ca_cert_identifier     = var.ca_cert_identifier

  parameter_group_name = aws_db_parameter_group.this.name

  # Minor versions arrive in the maintenance window; a major version is a
  # deliberate change of engine_version, tested first.
  auto_minor_version_upgrade  = true
  allow_major_version_upgrade = false
  engine_lifecycle_support    = var.engine_lifecycle_support
  apply_immediately           = var.apply_immediately
  maintenance_window          = var.maintenance_window

  backup_retention_period   = var.backup_retention_days
  backup_window             = var.backup_window
  copy_tags_to_snapshot     = true
  delete_automated_backups  = var.skip_final_snapshot
  deletion_protection       = var.deletion_protection
  skip_final_snapshot       = var.skip_final_snapshot
  final_snapshot_identifier = var.skip_final_snapshot ? null : "${var.name}-final"

  enabled_cloudwatch_logs_exports = local.exported_logs

  performance_insights_enabled          = var.performance_insights_enabled
  performance_insights_kms_key_id       = var.performance_insights_enabled ? aws_kms_key.data.arn : null
  performance_insights_retention_period = var.performance_insights_enabled ? var.performance_insights_retention_days : null

  monitoring_interval = var.monitoring_interval
  monitoring_role_arn = var.monitoring_interval > 0 ? aws_iam_role.monitoring[0].arn : null

  tags = {
    Name = var.name
  }

  # The log groups must exist before RDS starts exporting, or RDS makes its
  # own, unencrypted and kept forever, and Terraform then fails to create them.
  depends_on = [
    aws_cloudwatch_log_group.this,
    aws_iam_role_policy_attachment.monitoring,
  ]
}
