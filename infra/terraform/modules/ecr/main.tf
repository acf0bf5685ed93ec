data "aws_caller_identity" "current" {}

data "aws_region" "current" {}

data "aws_partition" "current" {}

locals {
  # The key alias cannot contain "/" the way a repository path can.
  kms_alias_name = "alias/${replace(var.name, "/", "-")}-ecr"

  # ECR applies rules by ascending priority and an image matched by one rule
  # is not evaluated by later ones. The "untagged" rule therefore comes first
  # (it only ever expires untagged images), and the "any" rule must have the
  # highest priority number of all, which ECR also enforces.
  lifecycle_policy = {
    rules = [
      {
        rulePriority = 1
        description  = "Expire untagged images ${var.untagged_expiry_days} day(s) after they were pushed"
        selection = {
          tagStatus   = "untagged"
          countType   = "sinceImagePushed"
          countUnit   = "days"
          countNumber = var.untagged_expiry_days
        }
        action = {
          type = "expire"
        }
      },
      {
        rulePriority = 2
        description  = "Keep only the ${var.image_count_to_keep} most recent images"
        selection = {
          tagStatus   = "any"
          countType   = "imageCountMoreThan"
          countNumber = var.image_count_to_keep
        }
        action = {
          type = "expire"
        }
      },
    ]
  }
}

resource "aws_kms_key" "ecr" {
  description         = "Encrypts the images of the ${var.name} ECR repository."
  enable_key_rotation = true

  # ECR uses the key through grants it creates for itself when the repository
  # is made, so pushing and pulling principals need no KMS permissions; the
  # account keeps control of the key through IAM.
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
    Name = "${var.name}-ecr"
  }
}

resource "aws_kms_alias" "ecr" {
  name          = local.kms_alias_name
  target_key_id = aws_kms_key.ecr.key_id
}

resource "aws_ecr_repository" "this" {
  name = var.name

  # Deployments name images by git commit: a tag that can be moved would let
  # a running service and its task definition silently disagree.
  image_tag_mutability = "IMMUTABLE"
  force_delete         = var.force_delete

  image_scanning_configuration {
    scan_on_push = true
  }

  encryption_configuration {
    encryption_type = "KMS"
    kms_key         = aws_kms_key.ecr.arn
  }

  tags = {
    Name = var.name
  }
}

resource "aws_ecr_lifecycle_policy" "this" {
  repository = aws_ecr_repository.this.name
  policy     = jsonencode(local.lifecycle_policy)
}

# The replication configuration belongs to the whole registry (one per account
# and region), so it is only managed when asked for: applying it replaces any
# replication rules that something else set up in this account and region.
resource "aws_ecr_replication_configuration" "this" {
  count = length(var.replication_regions) > 0 ? 1 : 0

  replication_configuration {
    rule {
      dynamic "destination" {
        for_each = var.replication_regions

        content {
          region      = destination.value
          registry_id = data.aws_caller_identity.current.account_id
        }
      }

      repository_filter {
        filter      = var.name
        filter_type = "PREFIX_MATCH"
      }
    }
  }

  lifecycle {
    precondition {
      condition     = !contains(var.replication_regions, data.aws_region.current.name)
      error_message = "replication_regions must not contain the repository's own region (${data.aws_region.current.name})."
    }
  }
}

# Lets the later environments' accounts read images to promote them; the policy names
# the read actions only, so no other account can push, tag or delete.
resource "aws_ecr_repository_policy" "pull" {
  count = length(var.pull_account_ids) > 0 ? 1 : 0

  repository = aws_ecr_repository.this.name
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "PullFromTheLaterEnvironments"
        Effect    = "Allow"
        Principal = { AWS = [for a in var.pull_account_ids : "arn:${data.aws_partition.current.partition}:iam::${a}:root"] }
        Action    = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:DescribeImages"]
      },
    ]
  })
}
