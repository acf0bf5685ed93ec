# Unit tests of the bootstrap configuration with a mocked AWS provider. Only
# plans are run: the bucket and the key have prevent_destroy, so the test's
# clean-up could not destroy them. override_during = plan gives the computed
# attributes (ARNs) their mocked values already in the plan.

mock_provider "aws" {
  override_during = plan

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
      arn    = "arn:aws:kms:eu-west-1:123456789012:key/0d7e7a8c-1111-2222-3333-444455556666"
      key_id = "0d7e7a8c-1111-2222-3333-444455556666"
    }
  }

  mock_resource "aws_s3_bucket" {
    defaults = {
      arn = "arn:aws:s3:::acme-hello-service-tfstate"
    }
  }
}

variables {
  region      = "eu-west-1"
  bucket_name = "acme-hello-service-tfstate"
}

run "state_bucket_is_versioned_encrypted_and_private" {
  command = plan

  assert {
    condition     = aws_s3_bucket.state.bucket == "acme-hello-service-tfstate" && output.bucket_name == "acme-hello-service-tfstate"
    error_message = "The state bucket must have the given name and expose it."
  }

  assert {
    condition     = aws_s3_bucket_versioning.state.versioning_configuration[0].status == "Enabled"
    error_message = "The state bucket must be versioned."
  }

  assert {
    condition = (
      one(aws_s3_bucket_server_side_encryption_configuration.state.rule).apply_server_side_encryption_by_default[0].sse_algorithm == "aws:kms" &&
      one(aws_s3_bucket_server_side_encryption_configuration.state.rule).apply_server_side_encryption_by_default[0].kms_master_key_id == aws_kms_key.state.arn &&
      one(aws_s3_bucket_server_side_encryption_configuration.state.rule).bucket_key_enabled
    )
    error_message = "The state bucket must be encrypted by default with the state KMS key and a bucket key."
  }

  assert {
    condition     = aws_kms_key.state.enable_key_rotation
    error_message = "The state key must rotate."
  }

  assert {
    condition = (
      aws_s3_bucket_public_access_block.state.block_public_acls &&
      aws_s3_bucket_public_access_block.state.block_public_policy &&
      aws_s3_bucket_public_access_block.state.ignore_public_acls &&
      aws_s3_bucket_public_access_block.state.restrict_public_buckets
    )
    error_message = "All public access to the state bucket must be blocked."
  }

  assert {
    condition     = one(aws_s3_bucket_ownership_controls.state.rule).object_ownership == "BucketOwnerEnforced"
    error_message = "ACLs must be disabled on the state bucket."
  }

  assert {
    condition     = aws_s3_bucket_logging.state.target_bucket == aws_s3_bucket.access_logs.id && aws_s3_bucket.access_logs.bucket == "acme-hello-service-tfstate-access-logs"
    error_message = "The state bucket must log to its access log bucket."
  }
}

run "state_bucket_policy_denies_plain_http_and_old_tls" {
  command = plan

  assert {
    condition = anytrue([
      for s in jsondecode(aws_s3_bucket_policy.state.policy).Statement :
      s.Effect == "Deny" && s.Principal == "*" && s.Action == "s3:*" &&
      try(s.Condition.Bool["aws:SecureTransport"], "") == "false" &&
      toset(s.Resource) == toset(["arn:aws:s3:::acme-hello-service-tfstate", "arn:aws:s3:::acme-hello-service-tfstate/*"])
    ])
    error_message = "The state bucket policy must deny every request that does not use TLS, on the bucket and its objects."
  }

  assert {
    condition = anytrue([
      for s in jsondecode(aws_s3_bucket_policy.state.policy).Statement :
      s.Effect == "Deny" && try(s.Condition.NumericLessThan["s3:TlsVersion"], "") == "1.2"
    ])
    error_message = "The state bucket policy must deny TLS older than 1.2."
  }

  assert {
    condition     = alltrue([for s in jsondecode(aws_s3_bucket_policy.state.policy).Statement : s.Effect == "Deny"])
    error_message = "The state bucket policy must grant nothing; access comes from IAM policies only."
  }
}

run "old_versions_and_lock_file_leftovers_expire" {
  command = plan

  variables {
    noncurrent_version_retention_days = 30
  }

  assert {
    condition = (
      one(aws_s3_bucket_lifecycle_configuration.state.rule).status == "Enabled" &&
      one(aws_s3_bucket_lifecycle_configuration.state.rule).noncurrent_version_expiration[0].noncurrent_days == 30 &&
      one(aws_s3_bucket_lifecycle_configuration.state.rule).expiration[0].expired_object_delete_marker &&
      one(aws_s3_bucket_lifecycle_configuration.state.rule).abort_incomplete_multipart_upload[0].days_after_initiation == 7
    )
    error_message = "Old versions, orphaned delete markers and stale multipart uploads must expire."
  }

  assert {
    condition     = one(aws_s3_bucket_lifecycle_configuration.access_logs.rule).expiration[0].days == 365
    error_message = "Access logs must expire after access_log_retention_days."
  }
}

run "only_the_logging_service_writes_the_access_logs" {
  command = plan

  assert {
    condition = one([
      for s in jsondecode(aws_s3_bucket_policy.access_logs.policy).Statement : s
      if s.Effect == "Allow"
      ]) == {
      Sid       = "S3ServerAccessLogsOfTheStateBucket"
      Effect    = "Allow"
      Principal = { Service = "logging.s3.amazonaws.com" }
      Action    = "s3:PutObject"
      Resource  = "arn:aws:s3:::acme-hello-service-tfstate-access-logs/s3-access-logs/acme-hello-service-tfstate/*"
      Condition = {
        ArnLike      = { "aws:SourceArn" = "arn:aws:s3:::acme-hello-service-tfstate" }
        StringEquals = { "aws:SourceAccount" = "123456789012" }
      }
    }
    error_message = "Only S3 logging, on behalf of the state bucket of this account, may write to the log prefix."
  }

  assert {
    condition     = one(aws_s3_bucket_server_side_encryption_configuration.access_logs.rule).apply_server_side_encryption_by_default[0].sse_algorithm == "AES256"
    error_message = "The log bucket must use SSE-S3, the only default encryption S3 server access logging accepts."
  }

  assert {
    condition     = aws_s3_bucket_public_access_block.access_logs.restrict_public_buckets && aws_s3_bucket_public_access_block.access_logs.block_public_policy
    error_message = "All public access to the log bucket must be blocked."
  }
}

run "environment_variables_name_the_bucket_its_key_and_region" {
  command = plan

  assert {
    condition     = strcontains(output.environment_variables, "export TF_STATE_BUCKET=acme-hello-service-tfstate\n")
    error_message = "The variables must name the state bucket."
  }

  assert {
    condition     = strcontains(output.environment_variables, "export TF_STATE_KMS_KEY_ARN=${aws_kms_key.state.arn}\n")
    error_message = "The variables must name the state key."
  }

  assert {
    condition     = strcontains(output.environment_variables, "export AWS_REGION=${var.region}\n")
    error_message = "The variables must name the region."
  }
}

run "rejects_an_uppercase_bucket_name" {
  command = plan

  variables {
    bucket_name = "Acme-State"
  }

  expect_failures = [var.bucket_name]
}

run "rejects_a_bucket_name_with_dots" {
  command = plan

  variables {
    bucket_name = "acme.hello.state"
  }

  expect_failures = [var.bucket_name]
}

run "rejects_a_bucket_name_too_long_for_the_log_bucket" {
  command = plan

  variables {
    bucket_name = "a-very-long-bucket-name-for-terraform-state-of-hello"
  }

  expect_failures = [var.bucket_name]
}

run "rejects_a_bad_region" {
  command = plan

  variables {
    region = "Ireland"
  }

  expect_failures = [var.region]
}

run "rejects_default_tags_without_the_common_tags" {
  command = plan

  variables {
    default_tags = {
      Project = "hello-service"
    }
  }

  expect_failures = [var.default_tags]
}
