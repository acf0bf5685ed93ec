variable "region" {
  description = "AWS region of the state bucket (and, usually, of the environments that use it)."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.region))
    error_message = "region must be an AWS region name such as \"eu-west-1\"."
  }
}

variable "bucket_name" {
  description = "Name of the state bucket, unique across all of S3 (for example \"acme-hello-service-tfstate\"). The access log bucket is named \"<bucket_name>-access-logs\"."
  type        = string
  nullable    = false

  validation {
    # S3 allows 63 characters and the log bucket adds 12; dots are left out
    # because they break TLS certificate matching for virtual-hosted requests.
    condition     = can(regex("^[a-z0-9][a-z0-9-]{1,49}[a-z0-9]$", var.bucket_name)) && !startswith(var.bucket_name, "xn--") && !startswith(var.bucket_name, "sthree-") && !endswith(var.bucket_name, "-s3alias") && !endswith(var.bucket_name, "--ol-s3")
    error_message = "bucket_name must be 3 to 51 lowercase letters, digits and hyphens, start and end with a letter or digit, and not use a prefix or suffix S3 reserves (xn--, sthree-, -s3alias, --ol-s3)."
  }
}

variable "default_tags" {
  description = "Tags every resource gets through the provider's default_tags. Must include the five common tags."
  type        = map(string)
  nullable    = false
  default = {
    Environment = "shared"
    Project     = "hello-service"
    Owner       = "platform-team"
    CostCenter  = "engineering"
    ManagedBy   = "terraform"
  }

  validation {
    condition     = alltrue([for k in ["Environment", "Project", "Owner", "CostCenter", "ManagedBy"] : contains(keys(var.default_tags), k)])
    error_message = "default_tags must include Environment, Project, Owner, CostCenter and ManagedBy."
  }

  validation {
    condition     = alltrue([for k, v in var.default_tags : length(k) >= 1 && length(k) <= 128 && length(v) <= 256 && !startswith(lower(k), "aws:")])
    error_message = "Tag keys must be 1 to 128 characters and not start with \"aws:\"; values at most 256 characters."
  }
}

variable "noncurrent_version_retention_days" {
  description = "Days an old version of a state file (and of each lock file) is kept after it was replaced, so that a broken state can be rolled back."
  type        = number
  default     = 90
  nullable    = false

  validation {
    condition     = var.noncurrent_version_retention_days >= 1 && floor(var.noncurrent_version_retention_days) == var.noncurrent_version_retention_days
    error_message = "noncurrent_version_retention_days must be a whole number of at least 1."
  }
}

variable "access_log_retention_days" {
  description = "Days the S3 server access logs of the state bucket are kept."
  type        = number
  default     = 365
  nullable    = false

  validation {
    condition     = var.access_log_retention_days >= 1 && floor(var.access_log_retention_days) == var.access_log_retention_days
    error_message = "access_log_retention_days must be a whole number of at least 1."
  }
}
