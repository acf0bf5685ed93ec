data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  log_bucket_name = "${var.bucket_name}-access-logs"

  # Built from the names so that the policies below do not wait for the buckets.
  state_bucket_arn = "arn:${data.aws_partition.current.partition}:s3:::${var.bucket_name}"
  log_bucket_arn   = "arn:${data.aws_partition.current.partition}:s3:::${local.log_bucket_name}"

  access_log_prefix = "s3-access-logs/${var.bucket_name}/"
}

# ---------------------------------------------------------------------------
# The key that encrypts every state file. Access to state then needs both S3
# and KMS permissions, and every read of a state file shows in CloudTrail.
# ---------------------------------------------------------------------------

resource "aws_kms_key" "state" {
  description         = "Encrypts the Terraform state in s3://${var.bucket_name}."
  enable_key_rotation = true

  # The account administers the key and grants its use through IAM policies,
  # so the roles that run Terraform need kms:Encrypt, kms:Decrypt and
  # kms:GenerateDataKey on this key next to their S3 permissions.
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "AccountAdministers"
        Effect    = "Allow"
        Principal = { AWS = "arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root" }
        Action    = "kms:*"
        Resource  = "*"
      },
    ]
  })

  tags = {
    Name = "${var.bucket_name}-state"
  }

  lifecycle {
    prevent_destroy = true
  }
}

resource "aws_kms_alias" "state" {
  name          = "alias/${var.bucket_name}"
  target_key_id = aws_kms_key.state.key_id
}

# ---------------------------------------------------------------------------
# The state bucket.
# ---------------------------------------------------------------------------

resource "aws_s3_bucket" "state" {
  #checkov:skip=CKV_AWS_144: Versioning already restores any earlier state, and a replica needs a second region and key that a team chooses for its own disaster recovery; add aws_s3_bucket_replication_configuration when one is required.
  #checkov:skip=CKV2_AWS_62: Nothing consumes events of the state bucket; changes are audited through CloudTrail and the access logs.
  bucket = var.bucket_name

  # Losing this bucket loses the state of every environment.
  lifecycle {
    prevent_destroy = true
  }

  tags = {
    Name = var.bucket_name
  }
}

resource "aws_s3_bucket_ownership_controls" "state" {
  bucket = aws_s3_bucket.state.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "state" {
  bucket = aws_s3_bucket.state.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "state" {
  bucket = aws_s3_bucket.state.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "state" {
  bucket = aws_s3_bucket.state.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.state.arn
    }

    # One data key per bucket instead of one KMS request per object: cheaper,
    # and Terraform writes the state and its lock file often.
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "state" {
  bucket = aws_s3_bucket.state.id

  rule {
    id     = "expire-old-state-versions"
    status = "Enabled"

    filter {}

    # Every apply makes a new version, and every run writes and deletes a
    # lock file (a version and a delete marker): old ones are kept long
    # enough to roll a state back, then removed.
    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_retention_days
    }

    expiration {
      expired_object_delete_marker = true
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  # Versioning must be on before noncurrent-version rules mean anything.
  depends_on = [aws_s3_bucket_versioning.state]
}

resource "aws_s3_bucket_logging" "state" {
  bucket        = aws_s3_bucket.state.id
  target_bucket = aws_s3_bucket.access_logs.id
  target_prefix = local.access_log_prefix

  # The log bucket must accept the logging service's writes first.
  depends_on = [aws_s3_bucket_policy.access_logs]
}

resource "aws_s3_bucket_policy" "state" {
  bucket = aws_s3_bucket.state.id

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "DenyInsecureTransport"
        Effect    = "Deny"
        Principal = "*"
        Action    = "s3:*"
        Resource  = [local.state_bucket_arn, "${local.state_bucket_arn}/*"]
        Condition = {
          Bool = { "aws:SecureTransport" = "false" }
        }
      },
      {
        Sid       = "DenyOutdatedTls"
        Effect    = "Deny"
        Principal = "*"
        Action    = "s3:*"
        Resource  = [local.state_bucket_arn, "${local.state_bucket_arn}/*"]
        Condition = {
          NumericLessThan = { "s3:TlsVersion" = "1.2" }
        }
      },
    ]
  })

  # S3 answers OperationAborted to concurrent configuration changes of one
  # bucket, and a policy must not race the public access block.
  depends_on = [aws_s3_bucket_public_access_block.state]
}

# ---------------------------------------------------------------------------
# The bucket that receives the state bucket's S3 server access logs.
# ---------------------------------------------------------------------------

resource "aws_s3_bucket" "access_logs" {
  #checkov:skip=CKV_AWS_144: The access logs are an audit aid that expires after access_log_retention_days; a cross-region copy is not worth a second region.
  #checkov:skip=CKV2_AWS_62: Nothing consumes events of the log bucket.
  #checkov:skip=CKV_AWS_145: S3 server access logging can only deliver to buckets whose default encryption is SSE-S3, so this bucket cannot use SSE-KMS.
  bucket = local.log_bucket_name

  tags = {
    Name = local.log_bucket_name
  }
}

resource "aws_s3_bucket_ownership_controls" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

# Versioned so that a deleted log object can still be recovered for a while.
resource "aws_s3_bucket_versioning" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id

  rule {
    id     = "expire-access-logs"
    status = "Enabled"

    filter {}

    expiration {
      days = var.access_log_retention_days
    }

    noncurrent_version_expiration {
      noncurrent_days = 30
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  depends_on = [aws_s3_bucket_versioning.access_logs]
}

resource "aws_s3_bucket_policy" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        # The logging service may write the state bucket's logs, and only
        # those, under their prefix.
        Sid       = "S3ServerAccessLogsOfTheStateBucket"
        Effect    = "Allow"
        Principal = { Service = "logging.s3.amazonaws.com" }
        Action    = "s3:PutObject"
        Resource  = "${local.log_bucket_arn}/${local.access_log_prefix}*"
        Condition = {
          ArnLike      = { "aws:SourceArn" = local.state_bucket_arn }
          StringEquals = { "aws:SourceAccount" = data.aws_caller_identity.current.account_id }
        }
      },
      {
        Sid       = "DenyInsecureTransport"
        Effect    = "Deny"
        Principal = "*"
        Action    = "s3:*"
        Resource  = [local.log_bucket_arn, "${local.log_bucket_arn}/*"]
        Condition = {
          Bool = { "aws:SecureTransport" = "false" }
        }
      },
    ]
  })

  depends_on = [aws_s3_bucket_public_access_block.access_logs]
}
