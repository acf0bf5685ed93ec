# Unit tests of the ECR module with a mocked AWS provider.

mock_provider "aws" {
  mock_data "aws_region" {
    defaults = {
      name = "eu-west-1"
    }
  }

  mock_data "aws_caller_identity" {
    defaults = {
      account_id = "123456789012"
    }
  }

  mock_data "aws_partition" {
    defaults = {
      partition = "aws"
    }
  }

  mock_resource "aws_kms_key" {
    defaults = {
      arn = "arn:aws:kms:eu-west-1:123456789012:key/0d7e7a8c-1111-2222-3333-444455556666"
    }
  }
}

variables {
  name = "hello-service"
}

run "repository_is_immutable_scanned_and_kms_encrypted" {
  command = apply

  assert {
    condition     = aws_ecr_repository.this.image_tag_mutability == "IMMUTABLE"
    error_message = "Tags must be immutable."
  }

  assert {
    condition     = aws_ecr_repository.this.image_scanning_configuration[0].scan_on_push
    error_message = "Images must be scanned on push."
  }

  assert {
    condition     = aws_ecr_repository.this.encryption_configuration[0].encryption_type == "KMS" && aws_ecr_repository.this.encryption_configuration[0].kms_key == aws_kms_key.ecr.arn
    error_message = "The repository must be encrypted with the module's KMS key."
  }

  assert {
    condition     = aws_kms_key.ecr.enable_key_rotation && aws_kms_alias.ecr.name == "alias/hello-service-ecr"
    error_message = "The key must rotate and have an alias named after the repository."
  }

  assert {
    condition     = aws_ecr_repository.this.force_delete == false
    error_message = "force_delete must be off by default."
  }

  assert {
    condition     = length(aws_ecr_replication_configuration.this) == 0
    error_message = "No registry replication configuration may be managed by default."
  }
}

run "lifecycle_rules_expire_untagged_first_and_keep_the_last_n" {
  command = plan

  variables {
    image_count_to_keep  = 25
    untagged_expiry_days = 3
  }

  assert {
    condition     = length(jsondecode(aws_ecr_lifecycle_policy.this.policy).rules) == 2
    error_message = "The lifecycle policy must have exactly two rules."
  }

  assert {
    condition = (
      jsondecode(aws_ecr_lifecycle_policy.this.policy).rules[0].rulePriority == 1 &&
      jsondecode(aws_ecr_lifecycle_policy.this.policy).rules[0].selection.tagStatus == "untagged" &&
      jsondecode(aws_ecr_lifecycle_policy.this.policy).rules[0].selection.countType == "sinceImagePushed" &&
      jsondecode(aws_ecr_lifecycle_policy.this.policy).rules[0].selection.countUnit == "days" &&
      jsondecode(aws_ecr_lifecycle_policy.this.policy).rules[0].selection.countNumber == 3 &&
      jsondecode(aws_ecr_lifecycle_policy.this.policy).rules[0].action.type == "expire"
    )
    error_message = "Rule 1 must expire untagged images untagged_expiry_days after push."
  }

  assert {
    condition = (
      jsondecode(aws_ecr_lifecycle_policy.this.policy).rules[1].selection.tagStatus == "any" &&
      jsondecode(aws_ecr_lifecycle_policy.this.policy).rules[1].selection.countType == "imageCountMoreThan" &&
      jsondecode(aws_ecr_lifecycle_policy.this.policy).rules[1].selection.countNumber == 25 &&
      jsondecode(aws_ecr_lifecycle_policy.this.policy).rules[1].action.type == "expire"
    )
    error_message = "Rule 2 must keep only image_count_to_keep images."
  }

  assert {
    condition = alltrue([
      for r in jsondecode(aws_ecr_lifecycle_policy.this.policy).rules :
      r.rulePriority == max([for x in jsondecode(aws_ecr_lifecycle_policy.this.policy).rules : x.rulePriority]...)
      if r.selection.tagStatus == "any"
    ])
    error_message = "The \"any\" rule must have the highest rulePriority, as ECR requires."
  }

  assert {
    condition     = length(distinct([for r in jsondecode(aws_ecr_lifecycle_policy.this.policy).rules : r.rulePriority])) == 2
    error_message = "Rule priorities must be unique."
  }
}

run "replication_to_other_regions" {
  command = apply

  variables {
    replication_regions = ["eu-central-1", "us-east-1"]
  }

  assert {
    condition     = length(aws_ecr_replication_configuration.this) == 1
    error_message = "Replication regions must create the registry replication configuration."
  }

  assert {
    condition = (
      [for d in aws_ecr_replication_configuration.this[0].replication_configuration[0].rule[0].destination : d.region] == ["eu-central-1", "us-east-1"] &&
      alltrue([for d in aws_ecr_replication_configuration.this[0].replication_configuration[0].rule[0].destination : d.registry_id == "123456789012"])
    )
    error_message = "Each replication region must be a destination in this account's registry."
  }

  assert {
    condition = (
      aws_ecr_replication_configuration.this[0].replication_configuration[0].rule[0].repository_filter[0].filter == "hello-service" &&
      aws_ecr_replication_configuration.this[0].replication_configuration[0].rule[0].repository_filter[0].filter_type == "PREFIX_MATCH"
    )
    error_message = "Replication must be limited to this repository's name."
  }
}

run "repository_path_names_get_a_valid_alias" {
  command = plan

  variables {
    name = "team-a/hello-service"
  }

  assert {
    condition     = aws_kms_alias.ecr.name == "alias/team-a-hello-service-ecr"
    error_message = "A \"/\" in the repository name must become \"-\" in the key alias."
  }
}

run "rejects_replication_to_its_own_region" {
  command = plan

  variables {
    replication_regions = ["eu-west-1"]
  }

  expect_failures = [aws_ecr_replication_configuration.this]
}

run "rejects_an_uppercase_name" {
  command = plan

  variables {
    name = "Hello-Service"
  }

  expect_failures = [var.name]
}

run "rejects_keeping_zero_images" {
  command = plan

  variables {
    image_count_to_keep = 0
  }

  expect_failures = [var.image_count_to_keep]
}

run "rejects_zero_untagged_days" {
  command = plan

  variables {
    untagged_expiry_days = 0
  }

  expect_failures = [var.untagged_expiry_days]
}

run "rejects_a_bad_region" {
  command = plan

  variables {
    replication_regions = ["Frankfurt"]
  }

  expect_failures = [var.replication_regions]
}

run "rejects_duplicate_regions" {
  command = plan

  variables {
    replication_regions = ["us-east-1", "us-east-1"]
  }

  expect_failures = [var.replication_regions]
}

run "no_repository_policy_by_default" {
  command = plan

  assert {
    condition     = length(aws_ecr_repository_policy.pull) == 0
    error_message = "Without pull accounts the repository must keep no policy."
  }
}

run "later_environments_may_pull_only" {
  command = plan

  variables {
    pull_account_ids = ["210987654321", "345678901234"]
  }

  assert {
    condition = jsondecode(aws_ecr_repository_policy.pull[0].policy).Statement[0].Principal.AWS == [
      "arn:aws:iam::210987654321:root", "arn:aws:iam::345678901234:root",
    ]
    error_message = "The policy must name each pull account."
  }

  assert {
    condition = alltrue([
      for a in jsondecode(aws_ecr_repository_policy.pull[0].policy).Statement[0].Action :
      contains(["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:DescribeImages"], a)
    ])
    error_message = "Other accounts may read images, never push, tag or delete them."
  }
}

run "rejects_a_bad_pull_account" {
  command = plan

  variables {
    pull_account_ids = ["*"]
  }

  expect_failures = [var.pull_account_ids]
}
